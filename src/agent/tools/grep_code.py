def grep_code(pattern: str, path: str = '.', file_glob: str = '*', max_results: int = 100) -> list:
    rx = _re.compile(pattern)
    out = []
    for f in _files(path, file_glob):
        for i, line in enumerate(_lines(f), 1):
            if rx.search(line):
                out.append('%s:%d: %s' % (_rel(f), i, line[:300]))
                if len(out) >= max_results:
                    return out
    return out
