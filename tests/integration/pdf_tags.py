"""What a PDF/UA-1 or PDF/A-2a validator checks of a tagged file's annotations,
read from qpdf's JSON by a walk of the structure tree (ISO 32000-2 §14.7,
PDF/UA-1 §7.18): each annotation on a page, not hidden, has a /StructParent
key that the /ParentTree maps to an element in the tree (reached from the root
through /K, its /P that parent) whose /K holds an object reference (/OBJR) to
it; a widget's element is a /Form (after the /RoleMap), its field has /TU or
its element /Alt; a page with annotations has /Tabs /S; /ParentTreeNextKey,
when present, is past every key."""

import json
import re

from harness import run


def load(path):
    doc = json.loads(run(["qpdf", "--json=2", path]).stdout)
    return doc["qpdf"][1]


def tag_problems(path):
    objs = load(path)

    def get(v):
        if isinstance(v, str) and v.endswith(" R"):
            o = objs.get("obj:" + v)
            if o is None:
                return None
            return o["stream"]["dict"] if "stream" in o else o.get("value")
        return v

    bad = []
    root = get(objs["trailer"]["value"]["/Root"])
    if get(get(root.get("/MarkInfo", {})).get("/Marked")) is not True:
        bad.append("not marked as tagged")
    str_root_ref = root.get("/StructTreeRoot")
    sroot = get(str_root_ref)
    if not isinstance(sroot, dict):
        return bad + ["no structure tree"]
    rolemap = get(sroot.get("/RoleMap", {})) or {}

    def role(s):
        seen = set()
        while s in rolemap and s not in seen:
            seen.add(s)
            s = get(rolemap[s])
        return s

    def items(v):
        """a /K's items: an array's (direct or not), else the one (an element's
        reference kept as such)"""
        w = get(v)
        return w if isinstance(w, list) else [v]

    # the number tree, flat or with kids (ISO 32000-2 §7.9.7): its entries in
    # the order of the leaves, each node below the root with /Limits of exactly
    # its least and greatest key, the kids indirect
    order = []

    def nums(node, depth=0, where="root"):
        ref, node = node, get(node)
        if depth > 32 or not isinstance(node, dict):
            bad.append("/ParentTree node %s: not a dictionary" % where)
            return
        start = len(order)
        n = get(node.get("/Nums", []))
        for i in range(0, len(n) - 1, 2):
            order.append((get(n[i]), n[i + 1]))
        for kid in get(node.get("/Kids", [])):
            if not (isinstance(kid, str) and kid.endswith(" R")):
                bad.append("/ParentTree node %s: a kid not indirect" % where)
            nums(kid, depth + 1, kid)
        keys = [k for k, _ in order[start:]]
        lim = [get(x) for x in get(node.get("/Limits", [])) or []]
        if depth and keys and lim != [min(keys), max(keys)]:
            bad.append("/ParentTree node %s: /Limits %s, keys %s..%s" %
                       (ref, lim, min(keys), max(keys)))
    nums(sroot.get("/ParentTree"))
    keys = [k for k, _ in order]
    if keys != sorted(set(keys)):
        bad.append("/ParentTree keys not ascending through its leaves")
    tree = dict(order)
    nxt = get(sroot.get("/ParentTreeNextKey"))
    if nxt is not None and tree and nxt <= max(tree):
        bad.append("/ParentTreeNextKey %s not past key %s" % (nxt, max(tree)))
    # every element the tree reaches, with the parent it is reached from
    parent_of = {}

    def walk(ref, parent, depth=0):
        if depth > 200 or not (isinstance(ref, str) and ref.endswith(" R")):
            return
        if ref in parent_of:
            bad.append("element %s reached twice" % ref)
            return
        parent_of[ref] = parent
        e = get(ref)
        if not isinstance(e, dict):
            return
        for kid in items(e.get("/K")):
            kd = get(kid)
            if isinstance(kd, dict) and kd.get("/Type") in ("/OBJR", "/MCR"):
                continue
            if isinstance(kid, str) and kid.endswith(" R"):
                walk(kid, ref, depth + 1)
    for kid in items(sroot.get("/K")):
        walk(kid, str_root_ref)
    for ref, parent in parent_of.items():
        e = get(ref)
        if isinstance(e, dict) and e.get("/P") != parent:
            bad.append("element %s: /P %s, reached from %s" % (ref, e.get("/P"), parent))
    # the annotations of every page
    for key, o in objs.items():
        page = o.get("value")
        if not (key.startswith("obj:") and isinstance(page, dict) and
                page.get("/Type") == "/Page"):
            continue
        annots = [a for a in get(page.get("/Annots", [])) or []]
        shown = [a for a in annots if not (get(get(a).get("/F", 0)) & 2) and
                 get(a).get("/Subtype") != "/Popup"]
        if shown and page.get("/Tabs") != "/S":
            bad.append("page %s: annotations without /Tabs /S" % key[4:])
        for a in shown:
            d = get(a)
            sp = get(d.get("/StructParent"))
            if sp is None:
                bad.append("annotation %s (%s): no /StructParent" % (a, d.get("/Subtype")))
                continue
            elem_ref = tree.get(sp)
            elem = get(elem_ref)
            if not isinstance(elem, dict):
                bad.append("annotation %s: key %s not in the /ParentTree" % (a, sp))
                continue
            if elem_ref not in parent_of:
                bad.append("annotation %s: element %s not in the tree" % (a, elem_ref))
            objrs = [get(x) for x in items(elem.get("/K"))]
            if not any(isinstance(x, dict) and x.get("/Type") == "/OBJR" and
                       x.get("/Obj") == a for x in objrs):
                bad.append("annotation %s: element %s names it by no /OBJR" % (a, elem_ref))
            if d.get("/Subtype") == "/Widget":
                if role(elem.get("/S")) != "/Form":
                    bad.append("widget %s: element %s is %s" % (a, elem_ref, elem.get("/S")))
                field = d if "/T" in d else get(d.get("/Parent")) or {}
                if "/TU" not in field and "/Alt" not in elem:
                    bad.append("widget %s: neither /TU nor /Alt" % a)
    return bad


def append_update(src, out, objects, free=(), drop=()):
    """src with one incremental update that redefines objects ({number: body bytes,
    generation 0}) in a cross-reference table, as an editor saves it; free: numbers
    it deletes (free entries, generation 1), drop: trailer keys it leaves out."""
    with open(src, "rb") as f:
        data = f.read()
    trailer = run(["qpdf", "--show-object=trailer", src]).stdout.strip()
    m = re.search(r"/Size (\d+)", trailer)
    size = int(m.group(1))
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    body = b"" if data.endswith(b"\n") else b"\n"
    entries = {num: b"0000000000 00001 f \n" for num in free}
    for num in sorted(objects):
        entries[num] = b"%010d 00000 n \n" % (len(data) + len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (num, objects[num])
    xref = len(data) + len(body)
    body += b"xref\n"
    for num in sorted(entries):
        body += b"%d 1\n%s" % (num, entries[num])
    keep = re.sub(r"/(Prev|Size) \d+", "", trailer).strip()[2:-2]
    for key in drop:
        keep = re.sub(r"/%s \d+ 0 R" % key, "", keep)
    body += b"trailer\n<< %s /Size %d /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        keep.encode(), max([size] + [num + 1 for num in entries]), prev, xref)
    with open(out, "wb") as f:
        f.write(data + body)


def with_kids(src, out, levels):
    """src (a flat /ParentTree in its own object) as Acrobat writes a long
    document's: the root's /Kids, a leaf per key under levels - 1 intermediate
    nodes with /Limits, saved whole by qpdf (one revision, as an upload)."""
    objs = load(src)
    root = objs["obj:" + objs["trailer"]["value"]["/Root"]]["value"]
    sroot = objs["obj:" + root["/StructTreeRoot"]]["value"]
    pt = int(sroot["/ParentTree"].split()[0])
    nums = objs["obj:%d 0 R" % pt]["value"]["/Nums"]
    size = int(re.search(r"/Size (\d+)",
                         run(["qpdf", "--show-object=trailer", src]).stdout).group(1))

    def text(v):
        if isinstance(v, list):
            return "[" + " ".join(text(x) for x in v) + "]"
        return str(v)

    new, leaves = {}, []
    for i in range(0, len(nums), 2):
        new[size] = ("<< /Limits [%d %d] /Nums [%d %s] >>" %
                     (nums[i], nums[i], nums[i], text(nums[i + 1]))).encode()
        leaves.append((size, nums[i], nums[i]))
        size += 1
    nodes = leaves
    for _ in range(levels - 2):
        # an intermediate node over each two
        up = []
        for j in range(0, len(nodes), 2):
            part = nodes[j:j + 2]
            new[size] = ("<< /Limits [%d %d] /Kids [%s] >>" % (
                part[0][1], part[-1][2], " ".join("%d 0 R" % n for n, _, _ in part))).encode()
            up.append((size, part[0][1], part[-1][2]))
            size += 1
        nodes = up
    new[pt] = ("<< /Kids [%s] >>" % " ".join("%d 0 R" % n for n, _, _ in nodes)).encode()
    tmp = out + ".update"
    append_update(src, tmp, new)
    # as PDF/A asks of a stream (ISO 19005-2 §6.1.7.1)
    run(["qpdf", "--newline-before-endstream", tmp, out])


def parent_tree(path):
    """The /ParentTree object's number and dictionary in the file at path."""
    objs = load(path)
    root = objs["obj:" + objs["trailer"]["value"]["/Root"]]["value"]
    ref = objs["obj:" + root["/StructTreeRoot"]]["value"]["/ParentTree"]
    return int(ref.split()[0]), objs["obj:" + ref]["value"]


def object_text(path, num):
    """Object num of the file at path as qpdf writes it (its dictionary's text)."""
    return run(["qpdf", "--show-object=%d" % num, path]).stdout.strip()


def tree_objects(path):
    """The /Form elements (number: dictionary) and the /Document element's and the
    /ParentTree's object numbers of the file at path."""
    objs = load(path)
    forms, doc = {}, None
    for key, o in objs.items():
        v = o.get("value")
        if key.startswith("obj:") and isinstance(v, dict) and v.get("/Type") == "/StructElem":
            if v.get("/S") == "/Form":
                forms[int(key[4:].split()[0])] = v
            elif v.get("/S") == "/Document":
                doc = int(key[4:].split()[0])
    return forms, doc
