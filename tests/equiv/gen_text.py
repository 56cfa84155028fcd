"""Text-like inputs: what people keep next to their arrays.

CSV as np.savetxt writes it, `count,value` tables, Python source (`import os`, `class Foo:`),
JSON, notes (`N.B. ...`), Markdown, random printable ASCII lines, and lines that start with an
opcode letter followed by an identifier line (`cats\\ndogs\\n` is GLOBAL ats.dogs to CPython).
Most of these must come out as text with nothing imported; CPython's own reading decides.
"""

import json
import random
import string

WORDS = ["alpha", "beta", "count", "value", "numpy", "array", "data", "os", "system", "cat",
         "dog", "items", "index", "N", "x", "y", "import", "class", "def", "print", "self"]


class TextGen:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def case(self):
        kind = self.rng.choice(["csv", "count", "python", "json", "note", "markdown", "random",
                                "opcode-lines", "tsv", "numbers"])
        text = getattr(self, "t_" + kind.replace("-", "_"))()
        if self.rng.random() < 0.2:
            text = text.rstrip("\n")
        if self.rng.random() < 0.05:
            text = "\ufeff" + text
        data = text.encode("utf-8")
        return data, "text:" + kind

    def _num(self):
        rng = self.rng
        return rng.choice(["%.18e" % rng.uniform(-1e3, 1e3), "%d" % rng.randint(-999, 9999),
                           "%g" % rng.random(), "nan", "inf"])

    def t_csv(self):
        rng = self.rng
        cols = rng.randint(1, 5)
        lines = []
        if rng.random() < 0.5:
            lines.append("# " + ",".join(rng.choice(WORDS) for _ in range(cols)))
        for _ in range(rng.randint(1, 8)):
            lines.append(",".join(self._num() for _ in range(cols)))
        return "\n".join(lines) + "\n"

    def t_tsv(self):
        return self.t_csv().replace(",", "\t")

    def t_numbers(self):
        return " ".join(self._num() for _ in range(self.rng.randint(1, 20))) + "\n"

    def t_count(self):
        rows = ["count,value"] + ["%d,%s" % (i, self._num()) for i in range(self.rng.randint(0, 6))]
        return "\n".join(rows) + "\n"

    def t_python(self):
        rng = self.rng
        return rng.choice([
            "import os\nos.system('ls')\n",
            "import numpy as np\n\nx = np.load('a.npy')\n",
            "class Foo:\n    pass\n",
            "def f(x):\n    return x + 1\n",
            "#!/usr/bin/env python3\nprint('hello')\n",
            "from os import system\nsystem('true')\n",
            "cos\nsystem\n(S'echo hi'\ntR.\n",
        ])

    def t_json(self):
        rng = self.rng
        obj = {rng.choice(WORDS): rng.choice([1, 2.5, "s", None, True, [1, 2], {"k": "v"}])
               for _ in range(rng.randint(0, 5))}
        return json.dumps(obj, indent=rng.choice([None, 2])) + "\n"

    def t_note(self):
        rng = self.rng
        return rng.choice(["N.B. the arrays are in metres.\n", "N.\n", "Note: see README\n",
                           "I think so.\n", "(see below)\n", "]\n", "}\n", "0\n", ".\n",
                           "Saved with numpy 1.24\n", "TODO\n", "K.\n", "NN.\n"])

    def t_markdown(self):
        rng = self.rng
        return "# Title\n\n- %s\n- %s\n\n```\ncode\n```\n" % (rng.choice(WORDS), rng.choice(WORDS))

    def t_random(self):
        rng = self.rng
        lines = []
        for _ in range(rng.randint(1, 5)):
            lines.append("".join(rng.choice(string.printable[:95])
                                 for _ in range(rng.randint(0, 40))))
        return "\n".join(lines) + "\n"

    def t_opcode_lines(self):
        """Lines CPython reads as GLOBAL/INST: an opcode letter, then identifier-like lines."""
        rng = self.rng
        first = rng.choice(["c", "i", "(i", "p", "g", "S", "V", "I", "F", "L"])
        return first + rng.choice(WORDS) + "\n" + rng.choice(WORDS) + "\n" + \
            rng.choice(["", ".", "more text\n", ")R.", "(tR."])
