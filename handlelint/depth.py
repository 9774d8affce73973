"""The nesting guard of Python 3.11+ for the Pythons before it, so results do not depend on it.

From Python 3.11 on, Python's own parser refuses a tree nested more deeply than a few
thousand levels (a sum of 5,000 operands, a 5,000-branch ``elif`` chain) and the
engine reports such a file as HDL000 "too deeply nested". Python 3.9 and 3.10 accept
it, and libcst's parser then takes practically forever on it. :func:`too_deep` measures
the depth of the ``ast`` tree without recursion, so that the command line on 3.9 and
3.10 refuses what 3.11 refuses, and in the same words.
"""

from __future__ import annotations

import ast
import sys
import warnings

#: Python 3.11 and later refuse these trees themselves.
NEEDED = sys.version_info < (3, 11)
#: The deepest tree accepted: Python 3.11's parser gives up between 2,000 and 5,000
#: levels of a left-nested sum under the default recursion limit.
MAX_DEPTH = 3000
#: The engine's words for a tree too deep (handlelint.source).
MESSAGE = "cannot analyse the file: too deeply nested: Python's own parser gives up"


def tree_depth(tree: ast.AST, stop: int = MAX_DEPTH) -> int:
    """The depth of ``tree`` (1 for a leaf), or a number above ``stop`` once it passes it."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > stop:
                return deepest
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def too_deep(text: str) -> bool:
    """True when Python 3.11+ would refuse ``text`` as too deeply nested (3.9 and 3.10 only)."""
    if not NEEDED:
        return False
    from handlelint.lines import scan

    layout = scan(text)
    if layout is not None and layout.shallow:  # no tree of it can be that deep
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False  # the engine says why
    return tree_depth(tree) > MAX_DEPTH
