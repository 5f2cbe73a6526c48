// Policies: placeholder until its page is built (see docs/CONSOLE.md for the page contract).
import { h } from '../lib/dom.js';

export default {
  id: 'policies',
  title: 'Policies',
  perm: 'policies.read',
  async render(view) {
    view.append(h('p', { class: 'empty' }, 'This page is not built yet. The REST API (/api/v1) and the CLI have everything it will show.'));
  },
};
