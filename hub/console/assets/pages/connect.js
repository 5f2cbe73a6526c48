// Connect (being built).
import { h } from '../lib/dom.js';

export default {
  id: 'connect',
  title: 'Connect',
  perm: null,
  async render(view) {
    view.append(h('p', { class: 'empty' }, 'This page is not built yet.'));
  },
};
