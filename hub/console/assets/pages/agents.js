// Agents (being built).
import { h } from '../lib/dom.js';

export default {
  id: 'agents',
  title: 'Agents',
  perm: 'agents.read',
  async render(view) {
    view.append(h('p', { class: 'empty' }, 'This page is not built yet.'));
  },
};
