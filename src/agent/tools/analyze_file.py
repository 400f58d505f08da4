def analyze_file(path: str) -> dict:
    f = _resolve(path)
    lines = _lines(f)
    ext = _os.path.splitext(f)[1].lower()
    lang = {'.py': 'python', '.c': 'c', '.h': 'c', '.cc': 'c++', '.cpp': 'c++',
            '.js': 'javascript', '.ts': 'typescript', '.go': 'go', '.rs': 'rust',
            '.java': 'java', '.rb': 'ruby', '.sh': 'shell'}.get(ext, 'text')
    imp = _re.compile(r'^\s*(import |from \S+ import |#include |use |require)')
    dfn = _re.compile(r'^(def |class |async def |fn |func |pub fn |[A-Za-z_][\w \*]*\(.*\)\s*\{?\s*$)')
    return {'path': _rel(f), 'size': _os.path.getsize(f), 'lines': len(lines),
            'language': lang,
            'imports': [l.strip() for l in lines if imp.match(l)][:100],
            'definitions': ['%d: %s' % (i, l.strip()[:160]) for i, l in enumerate(lines, 1)
                            if dfn.match(l)][:200]}
