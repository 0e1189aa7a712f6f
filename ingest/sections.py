"""Stage 3b of cleaning: the path of headings above every block."""

from __future__ import annotations

from ingest.blocks import NUMBERED_HEADING, Block


def assign_sections(blocks: list[Block]) -> None:
    """Give every block the path of headings above it.

    Numbered headings take their depth ("3." → 1, "3.1" → 2); a numbered
    heading that restarts at 1 inside a chapter is a sub-level; unnumbered
    headings sit one level below the deepest numbered heading.
    """
    stack: list[tuple[int, str]] = []
    numbered_depth = 0
    last_top = 0
    last_sub = 0  # a list of numbered sub-headings restarting at 1 inside a chapter
    dotted = 1  # depth of the last "3.2"-style heading in this chapter
    for block in blocks:
        if block.kind == "heading":
            level = block.level
            m = NUMBERED_HEADING.match(block.text)
            if level == 0:
                level = numbered_depth + 1
            elif m and not block.pieces[0][1].heading:
                top = int(m.group(1).split(".")[0])
                if level == 1 and last_sub and top == last_sub + 1:
                    level, last_sub = dotted + 1, top
                elif level == 1 and top == 1 and last_top >= 1:
                    level, last_sub = dotted + 1, 1
                elif level == 1:
                    last_top, last_sub, dotted = top, 0, 1
                else:
                    last_sub, dotted = 0, level
                numbered_depth = level
            else:
                numbered_depth = level
            block.level = level
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, block.text))
            block.section = tuple(t for _, t in stack)
        else:
            block.section = tuple(t for _, t in stack)
