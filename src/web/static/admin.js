// The console's shared script. Everything works without it; it only spares the organiser steps.
// A sign-in link opened directly (`/admin/login#token=…`): the fragment never reaches the server,
// so it is moved into the form, taken out of the address bar and history, and sent.
const form = document.querySelector('form.admin-login');
const field = form?.querySelector('input[name=token]');
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (form && field && fromHash) {
  history.replaceState(null, '', location.pathname + location.search);
  field.value = fromHash;
  form.requestSubmit();
}
