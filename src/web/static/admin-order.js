// The album page's enhancements: a text field saved as soon as it is left (inline save), and
// drag and drop ordering. Without it the Move up / Move down
// buttons (plain form submits, keyboard reachable) do the same; with it a row is dragged by its
// handle and the new order is saved at once, announced in the page's status line.
const list = document.querySelector('ol.admin-items[data-sortable]');
const form = document.querySelector('form.admin-items-form');
const status = document.getElementById('order-status');
const strings = JSON.parse(document.getElementById('lamha-admin-strings')?.textContent ?? '{}');

if (list && form) {
  let dragged = null;
  let before = '';
  const orderOf = () => [...list.children].map((li) => li.dataset.id);
  for (const item of list.children) {
    // only the handle is draggable: text in the fields stays selectable
    const handle = item.querySelector('.admin-handle');
    handle?.addEventListener('dragstart', (e) => {
      dragged = item;
      before = orderOf().join();
      item.classList.add('admin-dragging');
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', item.dataset.id);
      e.dataTransfer.setDragImage(item, 0, 0);
    });
    // the row moves while it is dragged, so where it ends is known at dragend, dropped or not
    handle?.addEventListener('dragend', () => {
      item.classList.remove('admin-dragging');
      dragged = null;
      if (orderOf().join() !== before) save();
    });
  }
  list.addEventListener('dragover', (e) => {
    if (!dragged) return;
    e.preventDefault();
    const over = e.target.closest?.('li.admin-item');
    if (!over || over === dragged || over.parentElement !== list) return;
    const box = over.getBoundingClientRect();
    list.insertBefore(dragged, e.clientY > box.top + box.height / 2 ? over.nextSibling : over);
  });
  list.addEventListener('drop', (e) => e.preventDefault());

  async function save() {
    const order = orderOf();
    const csrf = form.querySelector('input[name=_csrf]').value;
    try {
      const res = await fetch(form.dataset.orderUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ order }),
        credentials: 'same-origin',
      });
      if (!res.ok) throw new Error(String(res.status));
      status.textContent = strings.orderSaved ?? '';
    } catch {
      status.textContent = strings.orderFailed ?? '';
    }
  }
}

// Inline save: a caption, alt text, credit or licence changed and left is saved at once, alone;
// "Save all" still sends everything (and is what works without this script).
if (form) {
  const saved = strings.saved ?? '';
  form.addEventListener('change', async (e) => {
    const el = e.target;
    if (!el.name || !/^(caption|alt|credit|license)\./.test(el.name)) return;
    const body = new URLSearchParams({ _csrf: form.querySelector('input[name=_csrf]').value, intent: 'save', [el.name]: el.value });
    try {
      const res = await fetch(form.action, { method: 'POST', body, headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (!res.ok) throw new Error(String(res.status));
      el.defaultValue = el.value;
      el.closest('li')?.setAttribute('data-saved', el.name);
      status.textContent = saved;
    } catch {
      status.textContent = strings.saveFailed ?? '';
    }
  });
}

// "Select every item shown" for the bulk actions: a script's convenience, so hidden without it.
const all = document.getElementById('select-all');
if (all && form) {
  all.closest('[hidden]')?.removeAttribute('hidden');
  all.addEventListener('change', () => {
    for (const box of form.querySelectorAll('input[type=checkbox][name=select]')) box.checked = all.checked;
  });
}
