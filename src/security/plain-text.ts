import 'reflect-metadata';
import { Transform } from 'class-transformer';
import sanitizeHtml from 'sanitize-html';

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};

/**
 * Free text arrives as plain text: HTML tags (and script or style content) are
 * removed on the way in. Entities sanitize-html introduces are turned back into
 * characters, because pages escape on the way out (Handlebars) and a stored
 * "&amp;" would show as such.
 */
export function stripHtml(value: string): string {
  const stripped = sanitizeHtml(value, {
    allowedTags: [],
    allowedAttributes: {},
    disallowedTagsMode: 'discard',
  });
  return stripped.replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]).trim();
}

const PLAIN_TEXT_KEY = Symbol('tutormax:plain-text');

/**
 * Marks a string property as free text: HTML is stripped after validation,
 * both through the global ValidationPipe (class-transformer) and the ingestion
 * path (applyPlainText).
 */
export function PlainText(): PropertyDecorator {
  const transform = Transform(({ value }) =>
    typeof value === 'string' ? stripHtml(value) : value,
  );
  return (target, key) => {
    transform(target, key);
    const existing: (string | symbol)[] = Reflect.getMetadata(PLAIN_TEXT_KEY, target) ?? [];
    Reflect.defineMetadata(PLAIN_TEXT_KEY, [...existing, key], target);
  };
}

/** Strips HTML from an instance's @PlainText() properties in place. */
export function applyPlainText<T extends object>(instance: T): T {
  const keys: (string | symbol)[] =
    Reflect.getMetadata(PLAIN_TEXT_KEY, Object.getPrototypeOf(instance)) ?? [];
  for (const key of keys) {
    const value = (instance as Record<string | symbol, unknown>)[key];
    if (typeof value === 'string')
      (instance as Record<string | symbol, unknown>)[key] = stripHtml(value);
  }
  return instance;
}
