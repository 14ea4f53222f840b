"""The scorecard's format: one :class:`Row` per claim of the paper, and the :class:`Scorecard` table.

:mod:`~pixelfes_edu.evaluation.paper` measures the rows; this module only holds them and prints them.
"""

__all__ = ["MarkdownResult", "Row", "Scorecard", "markdown_table", "percent", "ten_thousands"]


class MarkdownResult:
    """A result Jupyter shows as its ``to_markdown()`` table."""

    def _repr_markdown_(self):
        return self.to_markdown()


class Row:
    """One line of the scorecard.

    Attributes
    ----------
    what : str      what is compared ("Table I: Pixel-RR parameters per channel")
    paper : str     the paper's number or claim
    here : str      this package's number, measured in this run
    verdict : str   "agrees", "differs", "same order", "not comparable" ...
    protocol : str  how ``here`` was measured
    """

    def __init__(self, what, paper, here, verdict, protocol):
        self.what, self.paper, self.here, self.verdict, self.protocol = what, paper, here, verdict, protocol

    def __repr__(self):
        return f"Row({self.what!r}: paper {self.paper}, here {self.here}, {self.verdict})"


def markdown_table(head, lines):
    """A markdown table: a header and one line per row (cells formatted with ``str``)."""
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in line) + " |" for line in lines]
    return "\n".join(out)


class Scorecard(MarkdownResult):
    """The rows of several results (anything with ``.rows``) in one table.

    >>> card = Scorecard()
    >>> card.add(Row("λ", "0.4", "0.005", "differs", "leave-one-out"))
    >>> print(card.to_markdown())
    | claim | paper | here | verdict | protocol |
    |---|---|---|---|---|
    | λ | 0.4 | 0.005 | **differs** | leave-one-out |
    """

    def __init__(self, *results):
        self.rows = []
        for r in results:
            self.add(r)

    def add(self, result):
        """Append a :class:`Row` or every row of a result."""
        self.rows += [result] if isinstance(result, Row) else list(result.rows)

    def to_markdown(self):
        return markdown_table(["claim", "paper", "here", "verdict", "protocol"],
                              [(r.what, r.paper, r.here, f"**{r.verdict}**" if r.verdict == "differs"
                                else r.verdict, r.protocol) for r in self.rows])

    def __repr__(self):
        return f"Scorecard({len(self.rows)} rows)\n" + self.to_markdown()


def ten_thousands(n):
    """A count in units of 10⁴, as Table I prints it: ``ten_thousands(32768) == '3.277×10⁴'``."""
    return f"{n / 1e4:.4g}×10⁴"


def percent(v):
    """A share as a whole percentage: ``percent(0.846) == '85%'``."""
    return f"{100 * v:.0f}%"
