#!/usr/bin/python3
"""scripts/mkman-core.py CORE_DIR DESCRIPTION.md VERSION DATE: devmemcore's
man page (section 8) as go-md2man markdown on stdout. SYNOPSIS, OPTIONS,
EXIT STATUS and EXAMPLES come from the tool itself (its argparse parser and
the C exit-code table), the ones its --help prints, so they cannot drift;
DESCRIPTION is docs/man/devmemcore.md (scripts/mkman.sh does the same for
the C tools)."""
import sys

core, desc, version, date = sys.argv[1:5]
sys.path.insert(0, core)
sys.argv = ["devmemcore"]
import devmemcore  # noqa: E402
import devmemlib  # noqa: E402


def md(s):
    return s.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")


p = devmemcore.build_parser()
out = ['% DEVMEMCORE 8 "{}" "devmemscope {}" "devmemscope"\n'.format(date, version),
       "# NAME\n", "devmemcore \\- " + md(p.description[0].lower() + p.description[1:].rstrip(".")) + "\n",
       "# SYNOPSIS\n", "**devmemcore** [*OPTION*]... [*DUMP*]\n", "# DESCRIPTION\n",
       open(desc).read(), "# OPTIONS\n"]
for a in p._actions:
    if not a.option_strings:
        continue
    arg = " *%s*" % a.metavar if a.metavar else (" *%s*" % a.dest.upper() if a.nargs != 0 else "")
    out.append(", ".join("**%s**%s" % (md(o), arg) for o in a.option_strings))
    out.append(": " + md(a.help[0].upper() + a.help[1:]) + ".\n")
out.append("# EXIT STATUS\n")
for code, name, meaning in devmemlib.exit_codes_rows():
    out.append("**%d** (%s)\n: %s.\n" % (code, md(name), md(meaning)))
out.append("# EXAMPLES\n")
for cmd, what in devmemcore.EXAMPLES:
    out.append("**%s**\n: %s.\n" % (md(cmd), md(what[0].upper() + what[1:])))
out.append("# SEE ALSO\n")
out.append("**devmemtop**(8), **devmemrec**(8), **devmemreport**(8), **devmemleak**(8), "
           "**drgn**(1), **crash**(8)\n")
sys.stdout.write("\n".join(out))
