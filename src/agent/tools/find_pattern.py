def find_pattern(pattern: str, path: str = '.', file_glob: str = '*', context: int = 2) -> list:
    rx = _re.compile(pattern)
    out = []
    for f in _files(path, file_glob):
        lines = _lines(f)
        for i, line in enumerate(lines):
            for m in rx.finditer(line):
                lo, hi = max(0, i - context), min(len(lines), i + context + 1)
                out.append({'file': _rel(f), 'line': i + 1, 'column': m.start() + 1,
                            'match': m.group(0)[:300], 'context': lines[lo:hi]})
                if len(out) >= 500:
                    return out
    return out
