// The upload panel's file picker (Gradio's File component), made readable for
// screen readers and axe. Its drop zone is named by its visible Dutch text
// instead of Gradio's English aria-label. Once files are chosen, Gradio shows
// an "add more" icon button with an untranslated name and a second upload
// button nested inside it (a control inside a control); it is hidden: more
// files are added by choosing several at once, or after "Wissen".
(() => {
  const ZONE = 'button[aria-label="Click to upload or drop files"]';
  function fixUpload() {
    const root = document.getElementById('az-upload-files');
    if (!root) return;
    for (const more of root.querySelectorAll('button[aria-label="common.upload"]')) {
      more.style.display = 'none';
      more.setAttribute('aria-label', 'Nog bestanden toevoegen');
    }
    for (const zone of root.querySelectorAll(ZONE)) {
      if (!(zone.parentElement && zone.parentElement.closest('button'))) {
        zone.removeAttribute('aria-label');
      }
    }
  }
  new MutationObserver(fixUpload).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'],
  });
})();
