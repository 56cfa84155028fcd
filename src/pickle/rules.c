/* Scan rules: stable ids, names, default severities and help text (also used for SARIF). */
#include "npguard.h"

typedef struct rule_row {
    const char *id, *name;
    npg_severity sev;
    const char *help;
} rule_row;

static const rule_row rules[] = {
    [NPG_RULE_GLOBAL_ALLOWED] = {"NPG001", "allowed-global", NPG_SEV_INFO,
        "The pickle names a global on npguard's allowlist (NumPy array, dtype and scalar "
        "reconstructors, or the builtins CPython uses for plain data). It is rebuilt by a "
        "built-in reconstructor that checks its arguments; nothing is imported."},
    [NPG_RULE_GLOBAL_DANGEROUS] = {"NPG002", "dangerous-global", NPG_SEV_CRITICAL,
        "The pickle imports a global known to execute code or reach the system (os, subprocess, "
        "builtins.eval/exec/getattr, importlib, runpy, socket, ...). Loading it with pickle runs "
        "attacker code. Do not load this file."},
    [NPG_RULE_GLOBAL_UNKNOWN] = {"NPG003", "unknown-global", NPG_SEV_HIGH,
        "The pickle imports a global outside the allowlist. pickle.load would import that module "
        "(running its top-level code) and may call the object. Load it only if you trust its author."},
    [NPG_RULE_CALL] = {"NPG004", "call", NPG_SEV_HIGH,
        "The pickle calls (REDUCE) a global outside the allowlist: with pickle.load this runs the "
        "function with arguments chosen by the file."},
    [NPG_RULE_OPCODE_CALL] = {"NPG005", "call-opcode", NPG_SEV_HIGH,
        "INST, OBJ, NEWOBJ or NEWOBJ_EX: opcodes that instantiate classes (run __new__/__init__). "
        "NumPy data never needs them. The severity is the class's: high or critical for a global "
        "outside the allowlist (unsafe); medium for an allowlisted class or function called this "
        "way, or for a placeholder (invalid: pickle.load would run NumPy's or Python's own "
        "constructor on the file's arguments)."},
    [NPG_RULE_OPCODE_EXT] = {"NPG006", "extension-opcode", NPG_SEV_MEDIUM,
        "EXT1/EXT2/EXT4 look up the process-wide copyreg extension registry. With no code "
        "registered (Python's default) pickle.load stops there, so the file is invalid; a process "
        "that registered codes would import what they name, so the scan reads on and reports "
        "what follows."},
    [NPG_RULE_OPCODE_PERSID] = {"NPG007", "persistent-id", NPG_SEV_MEDIUM,
        "PERSID/BINPERSID hand file-chosen data to the application's persistent_load hook. "
        "pickle.load has none and stops there, so the file is invalid; loaders that have one "
        "(torch.load) read on, and so does the scan: imports after a persistent id are reported."},
    [NPG_RULE_BUILD] = {"NPG008", "setstate", NPG_SEV_HIGH,
        "BUILD on an object made by a refused global: pickle.load would call its __setstate__ "
        "or set its attributes."},
    [NPG_RULE_MUTATE] = {"NPG009", "method-call", NPG_SEV_HIGH,
        "APPEND/SETITEM/ADDITEMS on an object made by a refused global: pickle.load would call "
        "its append/__setitem__/add method."},
    [NPG_RULE_BUFFER] = {"NPG010", "out-of-band-buffer", NPG_SEV_MEDIUM,
        "A protocol-5 pickle refers to an out-of-band buffer that was not supplied; the array "
        "data is not in the file. pickle.load without buffers stops there (invalid); the scan "
        "reads on as a caller passing buffers would."},
    [NPG_RULE_GLOBAL_UNIMPORTABLE] = {"NPG011", "unimportable-global", NPG_SEV_LOW,
        "The pickle asks for a global in a module whose name is not a dotted sequence of Python "
        "identifiers (each part at most 255 bytes), such as 'ount,value' in a CSV file that starts "
        "with 'c'. No module installed in the normal way can have such a name, so pickle.load's "
        "import fails there and loading stops: nothing is imported. The scan stops there too."},

    /* audit findings (npg_audit_buffer): about the file rather than one opcode */
    [NPG_RULE_MALFORMED] = {"NPG100", "malformed", NPG_SEV_HIGH,
        "The file, or a member of an archive, failed validation: truncated, corrupt, inconsistent, "
        "or beyond a resource limit. The finding carries the status code and the byte offset. Loaders "
        "may read such bytes differently from one another (or not at all), so npguard passes none of "
        "them; findings seen before the error are reported with it."},
    [NPG_RULE_UNKNOWN_FORMAT] = {"NPG101", "unknown-format", NPG_SEV_MEDIUM,
        "The content is not a pickle, a .npy file, a zip archive or text, whatever its name says. "
        "npguard cannot vouch for what a loader would do with it."},
    [NPG_RULE_POLYGLOT] = {"NPG102", "polyglot", NPG_SEV_HIGH,
        "The bytes are valid as two formats at once (a .npy file or a pickle with a zip archive "
        "behind it): np.load, torch.load and zip tools each see a different file, a classic way to "
        "slip a pickle past a scanner that looks at only one of them. Both readings were scanned."},
    [NPG_RULE_NON_NPY_MEMBER] = {"NPG103", "non-npy-member", NPG_SEV_LOW,
        "A zip member that is not a .npy array, scanned by content (np.load hands such members out "
        "as raw bytes; torch.load unpickles data.pkl). Info when the content is a pickle, text or "
        "an empty member that npguard read completely; low when nobody vouched for the bytes (an "
        "unknown format, a nested archive, or a name ending in .npy whose content is not .npy)."},
    [NPG_RULE_HIDDEN_MEMBER] = {"NPG104", "hidden-member", NPG_SEV_HIGH,
        "A member reachable only by walking local headers: the central directory that zipfile and "
        "np.load read does not list it, but streaming readers find it. Its content was scanned."},
    [NPG_RULE_FORMAT_MISMATCH] = {"NPG105", "format-mismatch", NPG_SEV_HIGH,
        "The file's name claims a data format (.pkl, .pickle, .pck, .pcl, .joblib, .npy, .npz, .pt, "
        ".pth, .ckpt) but its bytes are text, empty or in no format npguard reads: a truncated or "
        "corrupt model.pkl is a broken pickle, not inert text. A name only ever adds suspicion."},
    [NPG_RULE_LEGACY_FORMAT] = {"NPG106", "legacy-format", NPG_SEV_INFO,
        "The file was written by an older NumPy or Python (a .npy header aligned to 16 bytes as "
        "NumPy < 1.14 wrote it, Python-2 literals such as 2L in the header, zip deflate option "
        "flags): every current NumPy reads it the same way, so it is ok; the note says what "
        "differs from what np.save writes today."},
};

static const rule_row *rule(int r)
{
    /* the table has gaps (11-99): those rows are empty */
    return (r > 0 && r < (int)(sizeof rules / sizeof rules[0]) && rules[r].id) ? &rules[r] : NULL;
}

NPG_API const char *npg_rule_id(int r) { return rule(r) ? rule(r)->id : "NPG000"; }
NPG_API const char *npg_rule_name(int r) { return rule(r) ? rule(r)->name : "unknown"; }
NPG_API const char *npg_rule_help(int r) { return rule(r) ? rule(r)->help : ""; }
NPG_API npg_severity npg_rule_severity(int r) { return rule(r) ? rule(r)->sev : NPG_SEV_HIGH; }

NPG_API const char *npg_severity_name(npg_severity s)
{
    static const char *const names[] = {"info", "low", "medium", "high", "critical"};
    return (s >= NPG_SEV_INFO && s <= NPG_SEV_CRITICAL) ? names[s] : "unknown";
}
