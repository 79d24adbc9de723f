// Submitting a build: a spec editor that starts from the API description's examples (the seed's scenarios, one home
// for them: ScenarioExamples), and an optional context archive sent as multipart with the spec.

import { api } from '../api.js';
import { h, fill, announce } from '../dom.js';

/** The request examples of POST /api/v1/builds, by name, from the service's own API description. */
async function examples() {
  const response = await fetch('/swagger/v1/swagger.json', { cache: 'no-store' });
  if (!response.ok) return {};
  const document = await response.json();
  return document.paths?.['/api/v1/builds']?.post?.requestBody?.content?.['application/json']?.examples ?? {};
}

export async function submitView(root) {
  root.append(h('h1', { tabindex: -1, text: 'Submit a build' }));
  const known = await examples().catch(() => ({}));
  const picker = h('select', { id: 'example' }, h('option', { value: '', text: 'Choose an example…' }),
    Object.entries(known).map(([name, e]) => h('option', { value: name, text: `${name}: ${e.summary ?? ''}` })));
  const about = h('p', { class: 'hint', id: 'example-about' });
  const editor = h('textarea', { id: 'spec', rows: 22, spellcheck: 'false', required: true, 'aria-describedby': 'spec-hint' });
  const context = h('input', { id: 'context', type: 'file', accept: '.tar,.tar.gz,.tgz,application/gzip,application/x-tar', 'aria-describedby': 'context-hint' });
  const error = h('div', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', text: 'Submit build' });
  const form = h('form', { class: 'card submit-form', 'aria-labelledby': 'submit-title' },
    h('h2', { id: 'submit-title', class: 'visually-hidden', text: 'Build spec' }),
    h('label', { for: 'example', text: 'Start from an example' }), picker, about,
    h('label', { for: 'spec', text: 'Build spec (JSON)' }), editor,
    h('p', { id: 'spec-hint', class: 'hint', text: 'A git or inline source, and the stages: each a Dockerfile target with its build arguments, platforms, inputs and output.' }),
    h('label', { for: 'context', text: 'Context archive (optional)' }), context,
    h('p', { id: 'context-hint', class: 'hint', text: 'A tar or tar.gz build context. With one, the spec is sent without its source.' }),
    error, button);
  root.append(form);

  picker.addEventListener('change', () => {
    const example = known[picker.value];
    if (!example) return;
    editor.value = JSON.stringify(example.value, null, 2);
    about.textContent = example.description ?? '';
    announce(`Example ${picker.value} loaded into the editor`);
  });

  form.addEventListener('submit', async e => {
    e.preventDefault();
    error.hidden = true;
    let spec;
    try {
      spec = JSON.parse(editor.value);
    } catch (err) {
      show(error, `The spec is not valid JSON: ${err.message}`);
      editor.focus();
      return;
    }
    button.disabled = true;
    try {
      const headers = { 'Idempotency-Key': crypto.randomUUID() };
      let build;
      if (context.files.length > 0) {
        const { source, ...withoutSource } = spec;
        const body = new FormData();
        body.append('spec', new Blob([JSON.stringify(withoutSource)], { type: 'application/json' }));
        body.append('context', context.files[0], context.files[0].name);
        build = await api('/api/v1/builds', { method: 'POST', body, headers });
      } else {
        build = await api('/api/v1/builds', { method: 'POST', json: spec, headers });
      }
      announce('Build submitted');
      location.hash = `#/builds/${build.id}`;
    } catch (err) {
      show(error, err.message, err.problem);
    } finally {
      button.disabled = false;
    }
  });
}

function show(box, text, problem) {
  fill(box, h('p', { text }));
  const field = problem?.field;
  if (field) box.append(h('p', { class: 'hint', text: `Field: ${field}` }));
  box.hidden = false;
}
