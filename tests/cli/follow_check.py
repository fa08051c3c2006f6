# Helpers for test_follow_cli.sh (python3, standard library only).
#   follow_check.py history OUT.json STATE.json   every log_history point in the series (float32)
#   follow_check.py framing FILE                  every TFRecord length/data CRC (bitwise CRC32C)
#   follow_check.py offsets FILE                  record start offsets, one per line (and the end)
#   follow_check.py metrics OUT.json METRICS.jsonl   bertbench's event file agrees with metrics.jsonl
import json, struct, sys

def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]

def tb_tag(k):  # HF TensorBoardCallback's rewrite_logs
    return 'eval/' + k[5:] if k.startswith('eval_') else 'test/' + k[5:] if k.startswith('test_') else 'train/' + k

def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    return c ^ 0xFFFFFFFF

def masked(c):
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF

def records(path):
    b = open(path, 'rb').read()
    off, out = 0, []
    while off < len(b):
        n, = struct.unpack_from('<Q', b, off)
        lc, = struct.unpack_from('<I', b, off + 8)
        dc, = struct.unpack_from('<I', b, off + 12 + n)
        out.append((off, masked(crc32c(b[off:off + 8])) == lc and masked(crc32c(b[off + 12:off + 12 + n])) == dc))
        off += 12 + n + 4
    return out, off == len(b)

cmd = sys.argv[1]
if cmd == 'history':
    out = json.load(open(sys.argv[2]))
    hist = json.load(open(sys.argv[3]))['log_history']
    series = {t: {s: v for s, v in pts} for t, pts in out['series'].items()}
    n = bad = 0
    for row in hist:
        for k, v in row.items():
            if k == 'step' or not isinstance(v, (int, float)):
                continue
            n += 1
            got = series.get(tb_tag(k), {}).get(row['step'])
            if got is None or f32(got) != f32(v):
                bad += 1
                print(f'  step {row["step"]} {k}={v}: got {got}')
    print(f'{n} log_history points, {bad} missing or different')
    sys.exit(1 if bad or n == 0 else 0)
elif cmd == 'framing':
    recs, whole = records(sys.argv[2])
    good = sum(ok for _, ok in recs)
    print(f'{len(recs)} records, {good} with good CRCs, whole file: {whole}')
    sys.exit(0 if whole and recs and good == len(recs) else 1)
elif cmd == 'offsets':
    recs, _ = records(sys.argv[2])
    for off, _ in recs:
        print(off)
elif cmd == 'metrics':
    out = json.load(open(sys.argv[2]))['series']
    rows = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
    names = {'loss': 'train/loss', 'lr': 'train/learning_rate', 'grad_norm': 'train/grad_norm', 'epoch': 'train/epoch',
             'eval_loss': 'eval/loss', 'eval_perplexity': 'eval/perplexity', 'eval_accuracy': 'eval/accuracy',
             'eval_f1': 'eval/f1'}
    n = bad = 0
    for r in rows:
        for k, tag in names.items():
            if k in r and 'step' in r:
                n += 1
                got = dict(map(tuple, out.get(tag, []))).get(r['step'])
                # metrics.jsonl prints %.6g (epoch: %.4f) of the float the event file holds exactly
                tol = 5e-5 if k == 'epoch' else 1e-5 * abs(r[k])
                if got is None or abs(got - r[k]) > tol:
                    bad += 1
                    print(f'  step {r["step"]} {k}={r[k]}: event file {got}')
    print(f'{n} metrics.jsonl values, {bad} missing or different in the event file')
    sys.exit(1 if bad or n == 0 else 0)
