import os as _os, re as _re, fnmatch as _fnmatch, subprocess as _sp
_ROOT = '/workspace'
_SKIP = {'.git', '.hg', '.svn', '__pycache__', 'node_modules', '.venv'}
def _resolve(path):
    p = _os.path.realpath(_os.path.join(_ROOT, path or '.'))
    if p != _ROOT and not p.startswith(_ROOT + '/'):
        raise ValueError('path %r is outside /workspace' % (path,))
    return p
def _rel(p):
    return _os.path.relpath(p, _ROOT)
def _files(path, glob='*'):
    top = _resolve(path)
    if _os.path.isfile(top):
        yield top
        return
    for d, dirs, names in _os.walk(top):
        dirs[:] = sorted(x for x in dirs if x not in _SKIP)
        for n in sorted(names):
            if _fnmatch.fnmatch(n, glob or '*'):
                yield _os.path.join(d, n)
def _lines(f):
    try:
        if _os.path.getsize(f) > 4 << 20:
            return []
        with open(f, 'r', encoding='utf-8', errors='replace') as h:
            return h.read().splitlines()
    except OSError:
        return []
def _headtail(s, n=6000):
    if len(s) <= 2 * n:
        return s
    return s[:n] + '\n[... %d characters cut ...]\n' % (len(s) - 2 * n) + s[-n:]
def _run(cmd, timeout, shell=False):
    try:
        r = _sp.run(cmd, shell=shell, cwd=_ROOT, capture_output=True, text=True,
                    errors='replace', timeout=timeout)
    except _sp.TimeoutExpired as e:
        return 'timed out after %s s\n' % timeout + _headtail(str(e.stdout or ''))
    except FileNotFoundError as e:
        return 'not found: %s' % e
    return 'exit %d\n' % r.returncode + _headtail(r.stdout + r.stderr)
