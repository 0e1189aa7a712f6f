// Advieszoeker page behaviour Gradio has no setting for: after a search, focus
// moves to the heading of the result area and a live region announces it, so
// keyboard and screen-reader users land on the results instead of staying in
// the search box with no sign that anything happened.
window.advieszoeker = (() => {
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

  // Called before each search: what is shown now is the old result.
  function beforeSearch() {
    for (const el of document.querySelectorAll('#az-results [data-az-focus]')) {
      el.setAttribute('data-az-old', '');
    }
    announce('Bezig met zoeken…');
  }

  function announce(text) {
    const live = document.getElementById('az-live');
    if (!live) return;
    // Emptied first, so the same text said twice is announced twice.
    live.textContent = '';
    setTimeout(() => { live.textContent = text; }, 60);
  }

  // Called after each search: wait for Gradio to show the new result, then
  // announce its heading and move focus there.
  async function afterSearch() {
    let target = null;
    for (let i = 0; i < 120 && !target; i++) {
      await frame();
      target = document.querySelector('#az-results [data-az-focus]:not([data-az-old])');
    }
    if (!target) return;
    announce(target.textContent.replace(/\s+/g, ' ').trim());
    // The browser scrolls only when the heading is out of view (on a phone).
    target.focus();
  }

  // Gradio's accordions are buttons without aria-expanded, so a screen reader
  // cannot tell a folded section (the filters) from an open one: keep it in step
  // with the button's `open` class.
  function syncAccordions() {
    for (const button of document.querySelectorAll('button.label-wrap')) {
      const open = String(button.classList.contains('open'));
      if (button.getAttribute('aria-expanded') !== open) button.setAttribute('aria-expanded', open);
    }
  }
  new MutationObserver(syncAccordions).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['class'],
  });

  return { beforeSearch, afterSearch };
})();
