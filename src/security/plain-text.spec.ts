import { plainToInstance } from 'class-transformer';
import { applyPlainText, PlainText, stripHtml } from './plain-text';

describe('stripHtml', () => {
  it('removes tags, scripts and handlers but keeps the text and its characters', () => {
    expect(stripHtml('Great <b>session</b>!<script>alert(1)</script>')).toBe('Great session!');
    expect(stripHtml('<img src=x onerror=alert(1)>Tom & Jerry say 3 < 4 > 2 "ok"')).toBe(
      'Tom & Jerry say 3 < 4 > 2 "ok"',
    );
    expect(stripHtml('  plain text  ')).toBe('plain text');
  });
});

describe('@PlainText()', () => {
  class Note {
    @PlainText()
    text: string;

    other: string;
  }

  it('strips through class-transformer and through applyPlainText', () => {
    expect(plainToInstance(Note, { text: '<i>hi</i>', other: '<i>kept</i>' })).toEqual({
      text: 'hi',
      other: '<i>kept</i>',
    });
    const note = Object.assign(new Note(), { text: '<p>hello</p>', other: '<p>x</p>' });
    expect(applyPlainText(note)).toEqual({ text: 'hello', other: '<p>x</p>' });
  });
});
