// world_pages.js: a contract's pages reshaped as other tools leave them, for
// tests/integration/test_world_pages.py (MuPDF's mutool, another writer than
// the contract's):
//
//   mutool run world_pages.js KIND IN OUT
//
// offset       every page's /MediaBox moved off 0 0 (to -150 250), its content
//              moved with it: the page looks the same (a cropping tool's output)
// crop         a /CropBox inside the /MediaBox: the part a viewer shows
// userunit     /UserUnit 2 (PDF 1.6): half the units, each two points; the
//              content scaled to match, the page the same size on paper
// mixed        the last page A3 (842 x 1191), the others as they were
// inherit      /Rotate 90 and the /MediaBox on the page tree's root only
// resources    every page's /Resources merged on the page tree's root only, with
//              the /MediaBox and /Rotate 180
// incremental  three incremental updates as an editor saves them (a new
//              title; a note on page 1; a line drawn on the last page), each
//              with its /Prev
var kind = scriptArgs[0], src = scriptArgs[1], out = scriptArgs[2];
var doc = new PDFDocument(src);
var n = doc.countPages();

// the page's key, or its nearest ancestor's (ISO 32000-2 Table 31: inheritable)
function inherited(page, key) {
	for (var p = page; p !== undefined; p = p.get("Parent")) {
		var v = p.get(key);
		if (v !== undefined)
			return v;
	}
	return undefined;
}

function numbers(a) {
	var r = [];
	for (var i = 0; i < a.length; i++)
		r.push(a.get(i).valueOf());
	return r;
}

// the page's content between before and after (each its own stream)
function wrap(page, before, after) {
	var a = doc.newArray(), c = page.get("Contents");
	a.push(doc.addStream(before, {}));
	if (c.isArray())
		for (var i = 0; i < c.length; i++)
			a.push(c.get(i));
	else
		a.push(c);
	a.push(doc.addStream(after, {}));
	page.put("Contents", a);
}

function each(fn) {
	for (var i = 0; i < n; i++)
		fn(doc.findPage(i), i);
}

if (kind === "offset") {
	each(function (page) {
		var m = numbers(inherited(page, "MediaBox"));
		page.put("MediaBox", [m[0] - 150, m[1] + 250, m[2] - 150, m[3] + 250]);
		wrap(page, "q 1 0 0 1 -150 250 cm\n", "\nQ\n");
	});
} else if (kind === "crop") {
	each(function (page) {
		page.put("CropBox", [40, 150, 560, 800]);
	});
} else if (kind === "userunit") {
	each(function (page) {
		var m = numbers(inherited(page, "MediaBox"));
		page.put("MediaBox", [m[0] / 2, m[1] / 2, m[2] / 2, m[3] / 2]);
		page.put("UserUnit", 2);
		wrap(page, "q 0.5 0 0 0.5 0 0 cm\n", "\nQ\n");
	});
} else if (kind === "mixed") {
	doc.findPage(n - 1).put("MediaBox", [0, 0, 842, 1191]);
} else if (kind === "inherit") {
	var root = doc.findPage(0).get("Parent");
	while (root.get("Parent") !== undefined)
		root = root.get("Parent");
	root.put("MediaBox", inherited(doc.findPage(0), "MediaBox"));
	root.put("Rotate", 90);
	each(function (page) {
		page.delete("MediaBox");
		page.delete("Rotate");
	});
} else if (kind === "resources") {
	// what a page draws with named only by the page tree's root (its fonts, images,
	// graphics states), as some writers share one dictionary for every page; the
	// /MediaBox and a /Rotate 180 there too
	var top = doc.findPage(0).get("Parent");
	while (top.get("Parent") !== undefined)
		top = top.get("Parent");
	var all = doc.newDictionary();
	each(function (page) {
		var r = page.get("Resources");
		// (mutool 1.21 hands forEach the key first)
		r.forEach(function (k, v) {
			if (!v.isDictionary()) {
				all.put(k, v);
				return;
			}
			if (all.get(k) === undefined || all.get(k).isNull())
				all.put(k, doc.newDictionary());
			v.forEach(function (name, x) {
				var had = all.get(k).get(name);
				if (had !== undefined && !had.isNull() && had.toString() !== x.toString())
					throw new Error("two pages name " + k + " " + name + " apart");
				all.get(k).put(name, x);
			});
		});
	});
	top.put("Resources", doc.addObject(all));
	top.put("MediaBox", inherited(doc.findPage(0), "MediaBox"));
	top.put("Rotate", 180);
	each(function (page) {
		page.delete("Resources");
		page.delete("MediaBox");
		page.delete("Rotate");
	});
} else if (kind === "incremental") {
	var steps = [
		function () {
			doc.getTrailer().get("Info").put("Title", "采购合同（修订）");
		},
		function () {
			var page = doc.findPage(0), annots = page.get("Annots");
			var note = doc.addObject({ Type: "Annot", Subtype: "Text", Rect: [500, 780, 520, 800],
						   Contents: "请核对金额", F: 4, Name: "Comment" });
			if (annots === undefined) {
				annots = doc.newArray();
				page.put("Annots", annots);
			}
			annots.push(note);
		},
		function () {
			wrap(doc.findPage(n - 1), "q\n", "\nQ q 0 0 1 RG 2 w 72 100 m 520 100 l S Q\n");
		},
	];
	for (var i = 0; i < steps.length; i++) {
		steps[i]();
		var to = i + 1 < steps.length ? out + "." + i : out;
		doc.save(to, "incremental");
		doc = new PDFDocument(to);
	}
	quit();
} else {
	throw new Error("world_pages.js: unknown kind " + kind);
}
doc.save(out, "garbage");
