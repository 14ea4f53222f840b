"""The benchmark table: one row per measurement, printed as markdown."""


def add_row(out, name, value, unit, target, ok, note=""):
    """Append a row: what was measured, the value with its unit, the target and whether it is met."""
    out.append({"benchmark": name, "measured": f"{value:.3g} {unit}", "target": target,
                "meets": "yes" if ok else "NO", "note": note})


def print_table(rows):
    """Markdown table of a list of dicts (columns from the first row)."""
    cols = list(rows[0])
    cells = [[str(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(cols, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(row, widths)) + " |")
