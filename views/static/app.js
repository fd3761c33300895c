// Progressive enhancements only; every page works without JavaScript.
document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault();
    });
  }
});

// Live countdowns on <time data-countdown datetime="…">: the server's text, kept fresh each minute.
document.addEventListener('DOMContentLoaded', () => {
  const clocks = document.querySelectorAll('time[data-countdown]');
  if (!clocks.length) return;
  const describe = (ms) => {
    const minutes = Math.round(Math.abs(ms) / 60000);
    const d = Math.floor(minutes / 1440);
    const h = Math.floor((minutes % 1440) / 60);
    const m = minutes % 60;
    const span = d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
    return ms >= 0 ? `in ${span}` : `${span} ago`;
  };
  const tick = () => {
    for (const el of clocks) {
      const at = Date.parse(el.getAttribute('datetime'));
      if (!Number.isNaN(at)) el.textContent = describe(at - Date.now());
    }
  };
  tick();
  setInterval(tick, 60000);
});
