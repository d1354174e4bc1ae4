#!/usr/bin/env python3
"""Writes the hand-made seeds of fuzz/corpus/<target>/ (seed-*, file-*, ... : the inputs
named for what they hold). Inputs found by fuzzing and kept as regression seeds are plain
files next to them (crash-*, regression-*); this script never removes them.
    python3 fuzz/make-seeds.py   # from anywhere; rewrites the hand-made seeds
"""
import gzip
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def w(target, name, data):
    d = os.path.join(here, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode('latin-1')
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


deep = '[' * 200000

# param_text: byte 0 = the type (param_text.cpp's switch), the rest = the text.
pt = [(0, 'true'), (0, 'off'), (1, '-128'), (1, '128'), (2, '255'), (2, '-1'), (5, '42'),
      (5, '2147483648'), (7, '-9223372036854775809'), (8, '18446744073709551615'),
      (8, '18446744073709551616'), (8, '-1'), (9, '3.4e39'), (10, '1e400'), (10, '-1e400'),
      (10, 'nan'), (10, '0x1p-1074'), (11, '1e5000'), (12, '\xff\xfe invalid utf-8'),
      (13, 'rms_prop'), (14, '1,2,3'), (14, '[1, 2, 3]'), (14, deep), (15, '[1e400]'),
      (16, '["a", "\\u00e9"]'), (17, 'adam,sgd'), (18, '[true,false]'),
      (19, '{"seed": 1, "layers": [64, 32]}'), (19, deep), (19, '1e400'), (19, '"\xff"'),
      (16, '[' + '[1],' * 1000 + '1]')]
for i, (k, t) in enumerate(pt):
    w('param_text', f'seed-{i:02d}', bytes([k]) + t.encode('latin-1'))

# params: byte 0 = the source (0 a params file, 1 an environment variable, 2 an override).
names = ["shuffle", "epochs", "batch", "small", "lr", "ratio", "optimizer", "kind", "layers",
         "rates", "tags", "kinds", "settings", "data-dir"]
files = ['{"epochs": 5, "lr": 0.05, "layers": [1, 2]}', '{"epochs": 1e400}',
         '{"batch": 18446744073709551616}', '{"epochs": -1}', '{"small": 300}', deep,
         '{"settings": ' + '[' * 600 + ']' * 600 + '}',
         '{"settings": ' + '[' * 400 + ']' * 400 + '}',
         '{"tags": ["a", 1, null, {"x": []}]}', '{"kind": "rms_prop", "kinds": ["adam", "nope"]}',
         '{"lpochs": 3}', '[]', '']
for i, t in enumerate(files):
    w('params', f'file-{i:02d}', b'\x00' + t.encode())
envs = [('layers', deep), ('settings', deep), ('epochs', '1e400'),
        ('batch', '18446744073709551616'), ('rates', '[1e400]'),
        ('kinds', '["adam",' * 3 + '"sgd"]'), ('tags', '\xff\xfe'),
        ('settings', '{"a": ' + '[' * 100000 + '}')]
for i, (n, t) in enumerate(envs):
    w('params', f'env-{i:02d}', b'\x01' + bytes([names.index(n)]) + t.encode('latin-1'))
ovs = [('lr', '0.5'), ('lr', '2'), ('layers', '1,600'), ('settings', deep), ('batch', '3')]
for i, (n, t) in enumerate(ovs):
    w('params', f'override-{i:02d}', b'\x02\x01' + bytes([names.index(n)]) + t.encode())
w('params', 'override-unknown', b'\x02\x00\x06lpochs3')

# cron: the expression.
crons = ['*/5 * * * *', '0 0 29 2 *', '0 0 30 2 *', '@yearly', '@reboot',
         '1-5/2 3,4 * JAN-MAR MON-FRI', '0 12 * * 7', '99999999999999999999 * * * *',
         '*/0 * * * *', '-1 * * * *', '0-59/18446744073709551617 * * * *', '30 2 * * *',
         '0 0 31 4,6,9,11 *', '0 0 13 * FRI', '* * * * * *', '\xff * * * *', '5-1 * * * *']
for i, t in enumerate(crons):
    w('cron', f'seed-{i:02d}', t)

# codec: byte 0 = the type (codec.cpp's switch, % 12), bit 7 = a whole artifact (else the
# payload after a header the target writes).
for k in range(12):
    w('codec', f'payload-{k:02d}-empty', bytes([k]))
    w('codec', f'payload-{k:02d}-huge-count', bytes([k]) + b'\xff' * 10)
    w('codec', f'payload-{k:02d}-small', bytes([k]) + b'\x02\x01\x00\x00\x00\x02\x00\x00\x00')
w('codec', 'whole-magic', b'\x80TYFC\x01\x00\x00\x00\x00' + b'\x00' * 16)
w('codec', 'whole-huge-length', b'\x80TYFC\x01\x00\x00\x00\x00' + b'\x00' * 8 + b'\xff' * 8)


# json_output and html_report: the layout of run_input.hpp (html_report) behind a byte that
# picks the event line (even) or the run document (odd) in json_output.
def s(t):
    t = t.encode('latin-1') if isinstance(t, str) else t
    return bytes([len(t)]) + t


hostile = [b'\xff\xfe\xfd', b'\xc3\x28', b'\xed\xa0\x80', '<fuzz-marker>',
           '</script><script>alert(1)</script>', '"quoted"\\', '\x00nul', 'ok']
plain = ['run-1', 'fuzz-report', 'host', 'exp', 'all good', 'n', '3', 'tag']
t0 = b'\x69\x00\x00\x00'
nan = b'\x7f\xf8' + b'\x00' * 6
inf = b'\x7f\xf0' + b'\x00' * 6


def event(strs, kind, value):
    return (b'\x00' + b''.join(s(x) for x in strs[:5]) + bytes([kind, 1, 2]) + value +
            b'\x05\x03\x07' + t0)


def run(strs):
    b = s(strs[0]) + s(strs[1]) + s('hash') + b'\x03' + t0 + b'\x01' + b'\x69\x00\x01\x00'
    b += s(strs[2]) + s(strs[3]) + s('run') + s('') + s(strs[4])
    b += b'\x02' + s(strs[5]) + s(strs[6]) + s('lr') + s('0.1')
    b += b'\x01' + s(strs[7]) + s(strs[0])
    b += (b'\x02' + s('load') + b'\x03\x01\x01' + t0 + b'\x01' + b'\x69\x00\x00\x10' +
          s(strs[2]) + b'\x00\x01' + s('ab' * 16) + b'\x10' + s('int'))
    b += s(strs[1]) + b'\x02\x01' + t0 + b'\x00' + s(strs[3]) + b'\x00\x00'
    b += b'\x03' + b'\x01' + s('loss') + inf + b'\x01' + t0
    b += b'\x00' + s(strs[4]) + s(strs[5]) + nan + b'\x02' + t0
    b += b'\x01' + s('acc') + b'\x3f\xe0' + b'\x00' * 6 + b'\x03' + t0
    return b


w('json_output', 'event-plain', event(plain, 9, b'\x3f\xf0' + b'\x00' * 6))
w('json_output', 'event-invalid-utf8', event(hostile, 4, nan))
w('json_output', 'document-plain', b'\x01' + run(plain))
w('json_output', 'document-invalid-utf8', b'\x01' + run(hostile))
w('html_report', 'run-plain', run(plain))
w('html_report', 'run-hostile', run(hostile))
w('html_report', 'run-markers', run(['<fuzz-marker>'] * 8))


# fashion_idx: byte 0 = how (bit 0 gzip the images, bit 1 the labels, bits 2-3 the limit:
# none, 1, 2, 1000), a two-byte image length, the image bytes, the label bytes.
def idx(count, n, rows=28, cols=28, magic=2051):
    return (struct.pack('>IIII', magic, count, rows, cols) +
            bytes((i * 7) % 256 for i in range(n * rows * cols)))


def lab(count, n, magic=2049):
    return struct.pack('>II', magic, count) + bytes(i % 10 for i in range(n))


def f(how, im, lb):
    return bytes([how]) + struct.pack('>H', len(im)) + im + lb


def gz(b):
    return gzip.compress(b, mtime=0)


w('fashion_idx', 'plain-2', f(0, idx(2, 2), lab(2, 2)))
w('fashion_idx', 'gzip-by-target-3', f(3, idx(3, 3), lab(3, 3)))
w('fashion_idx', 'gzip-file-2', f(0, gz(idx(2, 2)), gz(lab(2, 2))))
g = bytearray(gz(idx(2, 2)))
g[-8] ^= 1
w('fashion_idx', 'gzip-bad-crc', f(0, bytes(g), gz(lab(2, 2))))
g = bytearray(gz(idx(2, 2)))
g[len(g) // 2] ^= 0xff
w('fashion_idx', 'gzip-flipped-byte', f(0, bytes(g), gz(lab(2, 2))))
w('fashion_idx', 'lying-count', f(3, idx(0xffffffff, 1), lab(0xffffffff, 1)))
w('fashion_idx', 'lying-count-limit', f(3 | 4, idx(0xffffffff, 2), lab(0xffffffff, 2)))
w('fashion_idx', 'wrong-dims', f(3, struct.pack('>IIII', 2051, 1, 0xffff, 0xffff), lab(1, 1)))
w('fashion_idx', 'wrong-magic', f(0, idx(1, 1, magic=2049), lab(1, 1, magic=2051)))
w('fashion_idx', 'bad-label', f(3, idx(1, 1), struct.pack('>II', 2049, 1) + b'\x0c'))
w('fashion_idx', 'extra-data', f(3 | 8, idx(2, 3), lab(2, 2)))
w('fashion_idx', 'truncated-gzip', f(0, gz(idx(2, 2))[:-20], gz(lab(2, 2))))

# Regression seeds: inputs that failed once (issue 15), kept so that every run tries them.
# A vector and a JSON parameter's text nested 100,000 levels deep (20,000 here) overflowed the stack in
# nlohmann's dump (core/impl/param_value.hpp now refuses more than 512 levels).
closed = '[' * 20000 + ']' * 20000  # enough for the 1 MiB stack of run-fuzzer.sh
w('param_text', 'regression-deep-vector', b'\x0e' + closed.encode())
w('param_text', 'regression-deep-json', b'\x13' + closed.encode())
w('params', 'regression-deep-env-json', b'\x01' + bytes([names.index('settings')]) + closed.encode())
w('params', 'regression-deep-override-vector',
  b'\x02\x01' + bytes([names.index('layers')]) + closed.encode())
