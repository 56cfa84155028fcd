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
};

static const rule_row *rule(int r)
{
    return (r > 0 && r < (int)(sizeof rules / sizeof rules[0])) ? &rules[r] : NULL;
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
