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
        "NumPy data never needs them."},
    [NPG_RULE_OPCODE_EXT] = {"NPG006", "extension-opcode", NPG_SEV_HIGH,
        "EXT1/EXT2/EXT4 look up the process-wide copyreg extension registry and import what it "
        "names."},
    [NPG_RULE_OPCODE_PERSID] = {"NPG007", "persistent-id", NPG_SEV_HIGH,
        "PERSID/BINPERSID hand file-chosen data to the application's persistent_load hook "
        "(PyTorch checkpoints use them); npguard has no such hook."},
    [NPG_RULE_BUILD] = {"NPG008", "setstate", NPG_SEV_HIGH,
        "BUILD on an object made by a refused global: pickle.load would call its __setstate__ "
        "or set its attributes."},
    [NPG_RULE_MUTATE] = {"NPG009", "method-call", NPG_SEV_HIGH,
        "APPEND/SETITEM/ADDITEMS on an object made by a refused global: pickle.load would call "
        "its append/__setitem__/add method."},
    [NPG_RULE_BUFFER] = {"NPG010", "out-of-band-buffer", NPG_SEV_MEDIUM,
        "A protocol-5 pickle refers to an out-of-band buffer that was not supplied; the array "
        "data is not in the file."},

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
