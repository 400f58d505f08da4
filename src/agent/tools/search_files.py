def search_files(pattern: str, path: str = '.') -> list:
    out = [_rel(f) for f in _files(path, pattern)]
    return out[:500]
