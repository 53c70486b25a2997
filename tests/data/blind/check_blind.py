"""Sanity check for hand-written blind batches: JSON parses, every gold place resolves through the
gazetteer (names, side names, aliases) with names.py's key(), kinds and parties are valid, dates are ISO,
and no passage repeats a (place key, party) pair.  Usage: python3 check_blind.py blind3.jsonl"""
import csv, datetime, json, pathlib, re, sys

HERE = pathlib.Path(__file__).resolve()
MAIN = HERE.parents[3]
sys.path.insert(0, str(MAIN.parent / "shared" / "eval"))
from names import key  # noqa: E402

DATA = MAIN / "geodata" / "data"
PARTIES = {"isil", "iraq-gov", "krg", "syria-gov", "syrian-opposition", "sdf", "turkey", "jordan", "other", "unknown"}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def keys(path, cols):
    out = set()
    for row in csv.DictReader(open(path, encoding="utf-8")):
        for c in cols:
            for n in (row.get(c) or "").split("|"):
                if n.strip():
                    out.add(key(n))
    return out


KINDS = {
    "crossing": keys(DATA / "crossings.csv", ["name", "name_a", "name_b", "aliases", "aliases_a", "aliases_b"]),
    "province": keys(DATA / "provinces.csv", ["name", "aliases"]),
}


def main(path):
    bad, n_req, n_neg = 0, 0, 0
    for ln, line in enumerate(open(path, encoding="utf-8"), 1):
        r = json.loads(line)
        words = len(r["text"].split())
        if not 40 <= words <= 450:
            print(f"{r['id']}: {words} words"); bad += 1
        seen = set()
        req = [g for g in r["gold"] if not g["optional"]]
        n_req += len(req)
        n_neg += not req
        for g in r["gold"]:
            k = key(g["place"])
            if k not in KINDS.get(g["kind"], ()):
                print(f"{r['id']}: place {g['place']!r} ({g['kind']}) does not resolve"); bad += 1
            if g["party"] not in PARTIES:
                print(f"{r['id']}: party {g['party']!r}"); bad += 1
            if (k, g["party"]) in seen:
                print(f"{r['id']}: duplicate {(k, g['party'])}"); bad += 1
            seen.add((k, g["party"]))
            if g["event_date"]:
                d = datetime.date.fromisoformat(g["event_date"])
                if r["report_date"] and d > datetime.date.fromisoformat(r["report_date"]):
                    print(f"{r['id']}: event after report"); bad += 1
                m = re.search("|".join(WEEKDAYS), g.get("note", ""))
                if m and WEEKDAYS[d.weekday()] != m.group(0):
                    print(f"{r['id']}: {g['event_date']} is not a {m.group(0)}"); bad += 1
    print(f"{ln} passages, {n_req} required claims, {n_neg} with no required claim, {bad} problems")
    return bad


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1] if len(sys.argv) > 1 else HERE.parent / "blind3.jsonl") else 0)
