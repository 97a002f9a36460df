"""`rfcalc worksheet`: exercises generated from the lecture notes' topics, or a network's table with
blanks, with answer keys read from the analyzer and checked by the numpy backend.

- `model`: exercises, blanks, readers (where a key is in a report), misconceptions and choices;
- `topics`: one template per topic, with the lecture notes' worked examples;
- `generate`: drawing (rejecting degenerate draws), ids and variants, keys, verification;
- `from_spec`: a spec's network as a table with chosen cells blanked;
- `render` (Markdown, JSON key), `html`, `lms` (Moodle XML, GIFT), `qti` (Canvas QTI 1.2): the formats.
"""
