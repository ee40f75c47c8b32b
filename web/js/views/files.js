// Files in messages: what the composer is about to send (`attachments`: a button, a drop or a
// paste adds files, each uploaded at once with its progress shown, refused before uploading if
// it is over the limit), and what a message carries (`fileList`: pictures shown in place, the
// rest as downloads). The bytes come with the key as a header and are shown from blob: URLs, so
// that no key goes into a URL.

import * as api from '../api.js';
import { h } from '../dom.js';

/** @typedef {import('../api.js').FileInfo} FileInfo */

/** The images shown in place: those the server serves as themselves. */
const PICTURES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** @type {Promise<import('../api.js').Limits> | null} */
let limits = null;
const readLimits = () => {
  limits ??= api.limits().catch((error) => { limits = null; throw error; });
  return limits;
};

/**
 * A size as people read it: 812 bytes, 4.2 KB, 9.1 MB.
 * @param {number} bytes
 */
export function formatBytes(bytes) {
  if (bytes < 1000) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/**
 * The files the next message carries, for room `roomId`: `add(files)` uploads each (refusing at
 * once one over the limit, or past the most a message carries), `ids()` the uploaded ones,
 * `words(typed)` what the message then says, `busy()` whether one is still on its way,
 * `clear()` after sending. The words in `box` are required while no file is uploaded.
 * @param {{ roomId: string, box: HTMLTextAreaElement, label?: string }} options
 */
export function attachments({ roomId, box, label = 'Files to send' }) {
  const list = h('ul', { class: 'attachments', 'aria-label': label, hidden: true });
  const line = h('p', { class: 'error', role: 'alert', hidden: true });
  const element = h('div', { class: 'attachments-box' }, list, line);
  /** @type {{ li: HTMLLIElement, file: File, info: FileInfo | null, failed: boolean }[]} */
  const entries = [];
  const uploaded = () => entries.filter((entry) => entry.info);

  const say = (/** @type {string | null} */ message) => {
    line.hidden = !message;
    line.textContent = message ?? '';
  };
  const redraw = () => {
    list.hidden = entries.length === 0;
    box.required = uploaded().length === 0;
  };
  /** @param {typeof entries[number]} entry */
  const drop = (entry) => {
    entries.splice(entries.indexOf(entry), 1);
    entry.li.remove();
    redraw();
  };

  /** @param {File} file */
  async function upload(file) {
    const progress = h('progress', { max: Math.max(file.size, 1), value: 0, 'aria-label': `Uploading ${file.name}` });
    const state = h('span', { class: 'muted' }, 'uploading…');
    const li = h('li', {}, h('span', { class: 'file-name' }, file.name), ' ', h('span', { class: 'muted' }, formatBytes(file.size)), ' ',
      progress, ' ', state, ' ',
      h('button', { type: 'button', class: 'tiny', onclick: () => drop(entry), 'aria-label': `Remove ${file.name}` }, 'Remove'));
    const entry = { li, file, info: /** @type {FileInfo | null} */ (null), failed: false };
    entries.push(entry);
    list.append(li);
    redraw();
    try {
      entry.info = await api.uploadFile(roomId, file, (sent, total) => {
        progress.max = Math.max(total, 1);
        progress.value = sent;
      });
      progress.value = progress.max;
      state.textContent = 'ready';
    } catch (/** @type {any} */ error) {
      entry.failed = true;
      state.textContent = 'not uploaded';
      say(`${file.name}: ${error?.message ?? 'the upload failed'}`);
    }
    redraw();
  }

  return {
    element,
    /**
     * Uploads the files, but for those the server would refuse anyway.
     * @param {Iterable<File>} files
     */
    async add(files) {
      say(null);
      let max;
      try {
        max = await readLimits();
      } catch (/** @type {any} */ error) {
        return say(error?.message ?? 'Files cannot be sent now.');
      }
      for (const file of files) {
        if (entries.length >= max.files_per_message) return say(`A message carries at most ${max.files_per_message} files.`);
        if (file.size > max.file_max_bytes) {
          say(`${file.name} is ${formatBytes(file.size)}: a file is at most ${formatBytes(max.file_max_bytes)}.`);
          continue;
        }
        upload(file);
      }
      return undefined;
    },
    ids: () => uploaded().map((entry) => /** @type {FileInfo} */ (entry.info).file_id),
    /**
     * What a message typed as `typed` says with these files: its words, or, of files alone,
     * their names.
     * @param {string} typed
     */
    words: (typed) => (typed.trim() || uploaded().length === 0 ? typed : uploaded().map((entry) => entry.file.name).join(', ')),
    busy: () => entries.some((entry) => !entry.info && !entry.failed),
    clear() {
      for (const entry of entries.splice(0)) entry.li.remove();
      say(null);
      redraw();
    },
  };
}

/**
 * The ways files come into a box to write in, for `files`: an Attach button (from the keyboard
 * too) with its hidden picker, to place beside the box (`controls`), and, once the form exists
 * (`wire`), a paste into the box and a drop on the form.
 * @param {ReturnType<typeof attachments>} files
 * @param {string} label the Attach button's name
 */
export function filePicker(files, label = 'Attach') {
  const picker = h('input', { type: 'file', multiple: true, hidden: true, tabindex: -1 });
  const attach = h('button', { type: 'button', class: 'small', onclick: () => picker.click() }, label);
  picker.addEventListener('change', () => {
    // Copied first: emptying the input empties its list too.
    files.add([...(picker.files ?? [])]);
    picker.value = '';
  });
  return {
    controls: [attach, picker],
    /**
     * @param {HTMLFormElement} form
     * @param {HTMLTextAreaElement} box
     */
    wire(form, box) {
      box.addEventListener('paste', (event) => {
        const pasted = [...(event.clipboardData?.files ?? [])];
        if (pasted.length === 0) return;
        event.preventDefault();
        files.add(pasted);
      });
      form.addEventListener('dragover', (event) => {
        if (!event.dataTransfer?.types.includes('Files')) return;
        event.preventDefault();
        form.classList.add('dropping');
      });
      form.addEventListener('dragleave', () => form.classList.remove('dropping'));
      form.addEventListener('drop', (event) => {
        form.classList.remove('dropping');
        const dropped = [...(event.dataTransfer?.files ?? [])];
        if (dropped.length === 0) return;
        event.preventDefault();
        files.add(dropped);
      });
    },
  };
}

/** Pictures are fetched only once near the screen. */
const nearScreen = new IntersectionObserver((seen) => {
  for (const { isIntersecting, target } of seen) {
    if (!isIntersecting) continue;
    nearScreen.unobserve(target);
    /** @type {any} */ (target).load?.();
  }
}, { rootMargin: '200px' });

/**
 * The files a message of room `roomId` carries: pictures shown in place (sized by the page,
 * fetched once near the screen, a click opens them whole), everything else as a download with
 * its name and size.
 * @param {string} roomId
 * @param {FileInfo[]} files
 */
export function fileList(roomId, files) {
  if (files.length === 0) return null;
  return h('ul', { class: 'files', 'aria-label': 'Files' }, ...files.map((file) => h('li', {},
    PICTURES.has(file.type) ? picture(roomId, file) : download(roomId, file))));
}

/**
 * @param {string} roomId
 * @param {FileInfo} file
 */
function picture(roomId, file) {
  const img = h('img', { alt: file.name, loading: 'lazy', decoding: 'async' });
  const link = h('a', { class: 'picture', href: '#', target: '_blank', rel: 'noopener', title: `${file.name}, ${formatBytes(file.size)}: open it whole` }, img);
  link.addEventListener('click', (event) => { if (link.getAttribute('href') === '#') event.preventDefault(); });
  /** @type {any} */ (link).load = async () => {
    try {
      const url = URL.createObjectURL(await api.fileBlob(roomId, file.file_id));
      img.src = url;
      link.href = url;
    } catch {
      link.replaceWith(h('span', { class: 'muted' }, `${file.name} cannot be shown.`));
    }
  };
  nearScreen.observe(link);
  return link;
}

/**
 * @param {string} roomId
 * @param {FileInfo} file
 */
function download(roomId, file) {
  const button = h('button', { type: 'button', class: 'tiny file-download' }, `⬇ ${file.name}`,
    h('span', { class: 'muted' }, ` (${formatBytes(file.size)})`));
  button.addEventListener('click', async () => {
    try {
      const url = URL.createObjectURL(await api.fileBlob(roomId, file.file_id));
      const save = h('a', { href: url, download: file.name, hidden: true });
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (/** @type {any} */ error) {
      button.title = error?.message ?? 'The file cannot be fetched.';
    }
  });
  return button;
}
