/* empty.c: gives every static library at least one object, so a layer whose
 * folder has no sources yet still links (the build globs each folder). */
typedef int sp_empty_translation_unit;
