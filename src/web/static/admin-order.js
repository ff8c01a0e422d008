// Drag and drop ordering for the console's album page. Without it the Move up / Move down
// buttons (plain form submits, keyboard reachable) do the same; with it a row is dragged by its
// handle and the new order is saved at once, announced in the page's status line.
const list = document.querySelector('ol.admin-items[data-sortable]');
const form = document.querySelector('form.admin-items-form');
const status = document.getElementById('order-status');
const strings = JSON.parse(document.getElementById('lamha-admin-strings')?.textContent ?? '{}');

if (list && form) {
  let dragged = null;
  for (const item of list.children) {
    const handle = item.querySelector('.admin-handle');
    // only the handle starts a drag: text in the fields stays selectable
    handle?.addEventListener('pointerdown', () => { item.draggable = true; });
    item.addEventListener('dragstart', (e) => {
      dragged = item;
      item.classList.add('admin-dragging');
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', item.dataset.id);
    });
    item.addEventListener('dragend', () => {
      item.draggable = false;
      item.classList.remove('admin-dragging');
      dragged = null;
    });
    item.addEventListener('dragover', (e) => {
      if (!dragged || dragged === item) return;
      e.preventDefault();
      const box = item.getBoundingClientRect();
      const after = e.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? item.nextSibling : item);
    });
    item.addEventListener('drop', (e) => { e.preventDefault(); save(); });
  }

  async function save() {
    const order = [...list.children].map((li) => li.dataset.id);
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
      list.dispatchEvent(new CustomEvent('admin-ordered', { bubbles: true }));
    } catch {
      status.textContent = strings.orderFailed ?? '';
    }
  }
}
