// Renders release events into the feed (newest at the top), once each: an event is
// identified by its cursor, and one the feed already holds is never added again.

const KIND_LABELS = {
  INSTALLMENT_PUBLISHED: 'Published',
  INSTALLMENT_UPDATED: 'Updated',
  INTERVIEW_PUBLISHED: 'New interview',
};

const ROLE_LABELS = {
  DIRECTOR: 'Director',
  WRITER: 'Writer',
  COMPOSER: 'Music',
  PRODUCER: 'Producer',
  OTHER: 'Crew',
};

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "just now", "5 minutes ago", "yesterday"… */
export function ago(date, now = Date.now()) {
  const seconds = Math.round((date.getTime() - now) / 1000);
  const steps = [
    [60, 'second'],
    [60, 'minute'],
    [24, 'hour'],
    [7, 'day'],
    [4.35, 'week'],
    [12, 'month'],
    [Infinity, 'year'],
  ];
  if (Math.abs(seconds) < 45) return 'just now';
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) return relativeFormat.format(Math.round(value), unit);
    value /= size;
  }
  return '';
}

/** One sentence for screen readers. */
export function describe(event) {
  const what = KIND_LABELS[event.kind] ?? event.kind;
  const interview = event.interview ? `: ${event.interview.outlet}, “${event.interview.title}”` : '';
  return `${what}: ${event.installment.title}${interview}, ${event.series.title}.`;
}

export class Feed {
  constructor(list, template) {
    this.list = list;
    this.template = template;
    this.cursors = new Set();
  }

  get size() {
    return this.cursors.size;
  }

  has(cursor) {
    return this.cursors.has(cursor);
  }

  clear() {
    this.cursors.clear();
    this.list.replaceChildren();
  }

  /** Adds `event` at the top (a live alert) or the bottom (history); false if already shown. */
  add(event, { atTop, fresh = false }) {
    if (this.cursors.has(event.cursor)) return false;
    this.cursors.add(event.cursor);
    const item = this.render(event, fresh);
    if (atTop) this.list.prepend(item);
    else this.list.append(item);
    return true;
  }

  /** Refreshes the "5 minutes ago" labels. */
  tick(now = Date.now()) {
    for (const time of this.list.querySelectorAll('time.when')) {
      const label = time.parentElement.querySelector('.ago');
      label.textContent = ago(new Date(time.dateTime), now);
    }
  }

  render(event, fresh) {
    const item = this.template.content.firstElementChild.cloneNode(true);
    item.dataset.cursor = event.cursor;
    item.dataset.kind = event.kind;
    item.dataset.series = event.series.id;
    if (fresh) item.classList.add('is-fresh');
    const $ = (selector) => item.querySelector(selector);

    $('.kind').textContent = KIND_LABELS[event.kind] ?? event.kind;
    const when = new Date(event.occurredAt);
    $('.when').dateTime = when.toISOString();
    $('.when').textContent = dateFormat.format(when);
    $('.ago').textContent = ago(when);

    $('.installment').textContent = event.installment.title;
    const series = $('.series-link');
    series.textContent = event.series.title;
    series.dataset.series = event.series.id;
    series.title = `Only ${event.series.title}`;
    const facts = [event.series.network, event.series.genres.join(', ')];
    if (event.installment.episodeCount) facts.push(`${event.installment.episodeCount} episodes`);
    $('.series-facts').textContent = facts.filter(Boolean).join(' · ');

    setText($('.synopsis'), event.installment.synopsis);
    const interview = $('.interview');
    if (event.interview) {
      interview.textContent = `${event.interview.outlet}: `;
      const link = event.interview.url?.startsWith('https://');
      const title = document.createElement(link ? 'a' : 'cite');
      title.textContent = event.interview.title;
      if (link) {
        title.href = event.interview.url;
        title.rel = 'noopener noreferrer';
      }
      interview.append(title);
    } else {
      interview.remove();
    }

    const credits = $('.credits');
    for (const credit of event.installment.credits.nodes) {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'person';
      name.textContent = credit.person.name;
      li.append(name);
      const part = credit.role === 'ACTOR' ? credit.character : ROLE_LABELS[credit.role];
      if (part) {
        const as = document.createElement('span');
        as.className = 'part';
        as.textContent = credit.role === 'ACTOR' ? `as ${part}` : part;
        li.append(' ', as);
      }
      credits.append(li);
    }
    if (!credits.children.length) credits.remove();
    return item;
  }
}

function setText(element, text) {
  if (text) element.textContent = text;
  else element.remove();
}
