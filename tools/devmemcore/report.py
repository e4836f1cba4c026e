# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""What devmemcore reads from the kernel (a drgn Program) and how it shows
it: JSON in the tools' schema (devmemtop -j's pgmaps, pages_walk, teardown
and teardown_tasks_before_start) and text."""
import os
import struct

import drgn
from drgn.helpers.linux.pid import find_task, for_each_task
from drgn.helpers.linux.percpu import per_cpu, per_cpu_ptr
from drgn.helpers.linux.cpumask import for_each_possible_cpu
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.rbtree import rbtree_inorder_for_each_entry
from drgn.helpers.linux.sched import task_cpu, task_state_to_char
from drgn.helpers.linux.xarray import xa_for_each

import devmemlib
import elfcore

PERCPU_REF_ATOMIC, PERCPU_REF_DEAD = 1, 2
PERCPU_COUNT_BIAS = 1 << 63
MEMORY_TYPES = {"MEMORY_DEVICE_PRIVATE": "private", "MEMORY_DEVICE_COHERENT": "coherent",
                "MEMORY_DEVICE_FS_DAX": "fsdax", "MEMORY_DEVICE_GENERIC": "generic",
                "MEMORY_DEVICE_PCI_P2PDMA": "p2pdma"}
PAGE_SHIFT = 12
MAPPING_ANON = 1  # PAGE_MAPPING_ANON / FOLIO_MAPPING_ANON: bit 0 of folio->mapping
ORDER_MAX = 30  # the walk's bound on a folio order (bpf/pagewalk.bpf.c)
MEMMAP_CHUNK = 4096  # struct pages read at once


def symbol_name(prog, addr):
    if not 0 < addr < 2 ** 64:  # a frame past the stack's end can have pc 0
        return ""
    try:
        return prog.symbol(addr).name
    except LookupError:
        return module_symbol(prog, addr)


_module_syms = {}


def module_symbol(prog, addr):
    """The symbol at addr from the loaded modules' own kallsyms. drgn 0.0.22
    cannot list a 6.4+ kernel's modules ('struct module' lost core_size), so
    without this a driver module's ops and owner would go unnamed."""
    if prog not in _module_syms:
        syms = []
        try:
            for mod in list_for_each_entry("struct module", prog["modules"].address_of_(), "list"):
                ks = mod.kallsyms
                n = ks.num_symtab.value_()
                for i in range(min(n, 1 << 16)):
                    sym = ks.symtab[i]
                    value, size = sym.st_value.value_(), sym.st_size.value_()
                    if value and size:
                        name = (ks.strtab + sym.st_name.value_()).string_().decode(errors="replace")
                        syms.append((value, value + size, name))
        except (LookupError, drgn.FaultError):
            pass
        _module_syms[prog] = syms
    for start, end, name in _module_syms[prog]:
        if start <= addr < end:
            return name
    return ""


def ref_state(prog, pg):
    """The pgmap's percpu_ref: mode, killed, and the references left.

    In percpu mode data->count holds PERCPU_COUNT_BIAS plus the atomic part
    and each CPU holds its own delta: the sum, less the bias, is the count.
    memunmap_pages() kills it (__PERCPU_REF_DEAD) and switches it to atomic:
    an RCU callback folds the CPUs' counts in and takes the bias away. Until
    that has run (a dump taken within a grace period) the bias is still in.
    """
    ptr = pg.ref.percpu_count_ptr.value_()
    count = pg.ref.data.count.counter.value_() & (2 ** 64 - 1)
    mode = "atomic" if ptr & PERCPU_REF_ATOMIC else "percpu"
    if count & PERCPU_COUNT_BIAS:
        pcpu = drgn.Object(prog, "unsigned long *", ptr & ~(PERCPU_REF_ATOMIC | PERCPU_REF_DEAD))
        count = (count - PERCPU_COUNT_BIAS + sum(
            per_cpu_ptr(pcpu, cpu)[0].value_() for cpu in for_each_possible_cpu(prog))) % 2 ** 64
    if count >= 2 ** 63:
        count -= 2 ** 64
    return {"state": "killed" if ptr & PERCPU_REF_DEAD else "live", "mode": mode,
            "references": count}


def iomem_resources(prog):
    """/proc/iomem from iomem_resource: (start, end, depth, name), file order."""
    out = []

    def walk(res, depth):
        while res:
            name = res.name.string_().decode(errors="replace") if res.name else ""
            out.append((res.start.value_(), res.end.value_(), depth, name))
            walk(res.child, depth + 1)
            res = res.sibling

    walk(prog["iomem_resource"].child, 0)
    return out


class Memmap:
    """Reads struct pages in bulk: a pfn's flags, pgmap word, counts."""

    def __init__(self, prog):
        self.prog = prog
        self.base = prog["vmemmap_base"].value_()
        self.size = drgn.sizeof(prog.type("struct page"))
        off = lambda t, f: drgn.offsetof(prog.type(t), f)
        self.off_refcount = off("struct page", "_refcount")
        self.off_mapcount = off("struct page", "_mapcount")
        self.off_word1 = off("struct page", "compound_info") if has_member(
            prog, "struct page", "compound_info") else off("struct page", "compound_head")
        self.off_pgmap = off("struct folio", "pgmap")
        self.off_flags1 = off("struct folio", "_flags_1")
        self.off_large_mapcount = off("struct folio", "_large_mapcount") if has_member(
            prog, "struct folio", "_large_mapcount") else None
        self.pg_head = 1 << prog.constant("PG_head").value_()

    def read(self, pfn, n):
        return self.prog.read(self.base + pfn * self.size, n * self.size)

    def page(self, buf, i):
        o = i * self.size
        flags, = struct.unpack_from("<Q", buf, o)
        word1, = struct.unpack_from("<Q", buf, o + self.off_word1)
        pgmap, = struct.unpack_from("<Q", buf, o + self.off_pgmap)
        refcount, = struct.unpack_from("<i", buf, o + self.off_refcount)
        mapcount, = struct.unpack_from("<i", buf, o + self.off_mapcount)
        tail = word1 & 1
        return flags, bool(tail), pgmap, refcount, mapcount + 1

    def large(self, pfn):
        """(order, mapcount) of the large folio whose head is pfn."""
        buf = self.read(pfn, 2)
        f1, = struct.unpack_from("<Q", buf, self.off_flags1)
        mc = None
        if self.off_large_mapcount is not None:
            mc = struct.unpack_from("<i", buf, self.off_large_mapcount)[0] + 1
        return min(f1 & 0xFF, ORDER_MAX), mc


def has_member(prog, tname, member):
    try:
        drgn.offsetof(prog.type(tname), member)
        return True
    except LookupError:
        return False


def walk_pages(prog, mm, pg, start_pfn, nr, free_ref, limit, tasks_by_mm):
    """The folios of pgmap pg in use, as devmemtop's pages_walk."""
    folios, in_use_pages, in_use_folios, foreign, unreadable = [], 0, 0, 0, 0
    pgaddr = pg.value_()
    pfn, end = start_pfn, start_pfn + nr
    while pfn < end:
        n = min(MEMMAP_CHUNK, end - pfn)
        try:
            buf = mm.read(pfn, n)
        except drgn.FaultError:
            unreadable += n
            pfn += n
            continue
        i = 0
        while i < n:
            flags, tail, owner, refcount, mapcount = mm.page(buf, i)
            step = 1
            if not tail and owner != pgaddr:
                foreign += 1
            elif refcount > free_ref:
                order = 0
                if not tail and flags & mm.pg_head:
                    order, large_mc = mm.large(pfn + i)
                    mapcount = large_mc if large_mc is not None else mapcount
                    step = 1 << order
                in_use_pages += 1 << order
                in_use_folios += 1
                if len(folios) < limit:
                    folios.append({"pfn": hex(pfn + i), "order": order, "refcount": refcount,
                                   "mapcount": mapcount,
                                   "mappers": mappers(prog, mm, pfn + i, tasks_by_mm)
                                   if mapcount > 0 else []})
            i += step
        pfn += max(n, i)
    return {"complete": unreadable == 0, "in_use_pages": in_use_pages,
            "in_use_folios": in_use_folios, "pages_walked": nr, "unreadable_pages": unreadable,
            "other_pgmap_pages": foreign, "folios": folios,
            "folios_not_listed": in_use_folios - len(folios)}


def mappers(prog, mm, pfn, tasks_by_mm):
    """The processes whose page tables map an anonymous folio, from its
    anon_vma's interval tree of VMAs; a file folio's are not looked for."""
    page = drgn.Object(prog, "struct page *", mm.base + pfn * mm.size)
    mapping = page.mapping.value_()
    if not mapping & MAPPING_ANON:
        return []
    av = drgn.Object(prog, "struct anon_vma *", mapping & ~3)
    out, seen = [], set()
    try:
        for avc in rbtree_inorder_for_each_entry("struct anon_vma_chain", av.rb_root.rb_root, "rb"):
            mmp = avc.vma.vm_mm.value_()
            for pid, comm in tasks_by_mm.get(mmp, []):
                if pid not in seen:
                    seen.add(pid)
                    out.append({"pid": pid, "comm": comm})
    except drgn.FaultError:
        pass
    return out


def cpu_regs(prog, path):
    """{task address: its CPU's registers as a struct pt_regs} for the tasks
    on a CPU in an ELF dump whose PRSTATUS notes drgn would not use. drgn
    0.0.22 takes a CPU's note for the task running there only if the note's
    pr_pid is that task's pid, as kdump writes it; qemu's dump-guest-memory
    writes the CPU's number + 1, and drgn then unwinds from the task's last
    context switch: a stale stack. The notes are in CPU order."""
    if prog.flags & drgn.ProgramFlags.IS_LIVE:
        return {}
    try:
        notes = elfcore.ElfCore(path).prstatus()
        size = drgn.sizeof(prog.type("struct pt_regs"))
    except (OSError, elfcore.DumpError, LookupError):
        return {}  # a kdump-compressed file: its notes are kdump's own
    out, misread = {}, []
    for cpu, (pid, regs) in enumerate(notes):
        try:
            curr = per_cpu(prog["runqueues"], cpu).curr
            if curr.pid.value_() != pid and len(regs) >= size:
                out[curr.value_()] = drgn.Object.from_bytes_(prog, "struct pt_regs", regs[:size])
                misread.append(pid)
        except (LookupError, drgn.FaultError, ValueError):
            pass
    # drgn would give those CPUs' registers to the tasks whose pids the
    # notes carry (init, kthreadd, ...): they start from their last switch.
    for pid in misread:
        try:
            t = find_task(prog, pid)
            if t and t.value_() not in out:
                out[t.value_()] = switched_regs(prog, t, size)
        except (LookupError, drgn.FaultError, ValueError):
            pass
    return out


def switched_regs(prog, task, size):
    """A task's registers where __switch_to_asm() left them (x86_64): its
    struct inactive_task_frame at thread.sp, as drgn itself starts the stack
    of a task that is not running."""
    sp = task.thread.sp.value_()
    frame = drgn.Object(prog, "struct inactive_task_frame *", sp)[0]
    reg = dict.fromkeys(PT_REGS, 0)
    for r in ("r15", "r14", "r13", "r12", "bx", "bp"):
        reg[r] = frame.member_(r).value_()
    reg["ip"] = frame.ret_addr.value_()
    reg["sp"] = sp + drgn.sizeof(frame.type_)
    reg["cs"], reg["ss"] = 0x10, 0x18  # __KERNEL_CS, __KERNEL_DS
    raw = struct.pack("<%dQ" % len(PT_REGS), *(reg[r] for r in PT_REGS))
    return drgn.Object.from_bytes_(prog, "struct pt_regs", raw.ljust(size, b"\0")[:size])


# struct pt_regs (x86_64), word by word
PT_REGS = ("r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx",
           "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss")


def frames(prog, task, regs=None):
    """The function of each real (not inlined) frame, innermost first, the
    pgmap memunmap_pages() has, and why there is no stack (None if there is).
    A live kernel's task on a CPU has none: its registers are not saved
    anywhere /proc/kcore shows (drgn: "cannot unwind stack of running
    task"); in a dump, its stack starts from its CPU's registers (the
    PRSTATUS notes): regs, where drgn would not take them (cpu_regs())."""
    out = []
    try:
        trace = prog.stack_trace(task if regs is None else regs)
    except Exception as e:  # drgn's unwinders raise plain Exception too (a bad ORC entry)
        return out, None, str(e) or type(e).__name__
    pgmap = None
    for f in trace:
        name = f.name or ""
        if name == "memunmap_pages" and pgmap is None:
            try:
                pgmap = f["pgmap"].value_()
            except (KeyError, LookupError, drgn.ObjectAbsentError, drgn.FaultError):
                pass
        if getattr(f, "is_inline", False):
            continue
        try:
            pc = f.pc
        except LookupError:  # a frame without a program counter ends the stack
            break
        pc -= 0 if f.interrupted else 1
        try:
            sym, unwound = prog.symbol(pc).name if 0 < pc < 2 ** 64 else "", True
        except LookupError:
            # A module drgn has not loaded: named from its kallsyms, but with
            # no unwind data for it the frames past it would be guesses.
            sym, unwound = module_symbol(prog, pc), False
        if sym and (not out or out[-1] != sym):
            out.append(sym)
        if not unwound:
            break
    return out, pgmap, None


def on_cpu(task):
    """The CPU a task runs on, or -1 (not running, or a !SMP kernel)."""
    try:
        return task_cpu(task) if task.on_cpu.value_() else -1
    except (LookupError, AttributeError, drgn.FaultError):
        return -1


def collect(prog, a):
    tasks_by_mm, tasks = {}, []
    for t in for_each_task(prog):
        pid = t.pid.value_()
        tgid = t.tgid.value_()
        comm = t.comm.string_().decode(errors="replace")
        tasks.append((t, pid, tgid, comm))
        if t.mm and pid == tgid:
            tasks_by_mm.setdefault(t.mm.value_(), []).append((pid, comm))

    mm = Memmap(prog)
    io = iomem_resources(prog)
    pgmaps, seen = [], set()
    for _, entry in xa_for_each(prog["pgmap_array"].address_of_()):
        p = entry.value_()
        if p in seen:
            continue
        seen.add(p)
        pgmaps.append(drgn.Object(prog, "struct dev_pagemap *", p))

    rows, fault_fns = [], {}
    for pg in pgmaps:
        typ = pg.type.format_(type_name=False)
        ops = pg.ops.value_()
        ops_sym = symbol_name(prog, ops) if ops else ""
        owner = pg.owner.value_()
        owner_sym = symbol_name(prog, owner) if owner else ""
        start = pg.range.start.value_()
        end = pg.range.end.value_()
        device, pci = devmemlib.device_of(io, start, end)
        driver = devmemlib.driver_name(ops_sym or owner_sym, "", device)
        if ops and pg.ops.migrate_to_ram:
            fault_fns[pg.ops.migrate_to_ram.value_()] = len(rows)
        ref = ref_state(prog, pg)
        kind = MEMORY_TYPES.get(typ, typ)
        free_ref = 1 if kind == "generic" else 0
        nr = sum((pg.ranges[i].end.value_() - pg.ranges[i].start.value_() + 1) >> PAGE_SHIFT
                 for i in range(pg.nr_range.value_()))
        walk = walk_pages(prog, mm, pg, start >> PAGE_SHIFT, (end - start + 1) >> PAGE_SHIFT,
                          free_ref, a.folios, tasks_by_mm)
        walk["teardown_began"] = ref["state"] == "killed"
        walk["references"] = ref["references"] if ref["state"] == "killed" else -1
        rows.append({"name": "", "driver": driver, "device": device, "pci": pci, "type": kind,
                     "start": hex(start), "end": hex(end), "nr_pages": nr, "pgmap": hex(p_(pg)),
                     "ops": ops_sym, "owner": hex(owner), "owner_symbol": owner_sym,
                     "ref": ref, "teardown_waiting": False, "pages_walk": walk})
    name_rows(rows)

    # On a live kernel devmemcore's own threads are on a CPU too: not listed.
    live = bool(prog.flags & drgn.ProgramFlags.IS_LIVE)
    blocked, no_stack = [], []
    regs = cpu_regs(prog, a.dump)
    for t, pid, tgid, comm in tasks:
        stack, waited, why = frames(prog, t, regs.get(t.value_()))
        if why is not None:
            cpu = on_cpu(t)
            if pid == 0 or (live and tgid == os.getpid()):
                continue
            # It may be in a memunmap_pages() or a migrate_to_ram(): nothing
            # says, so it is listed rather than left out.
            no_stack.append({"pid": tgid, "tid": pid, "comm": comm,
                             "state": devmemlib.task_state(task_state_to_char(t)), "cpu": cpu,
                             "stack": None, "stack_unavailable":
                             "running" if live and cpu >= 0 else why})
            continue
        if "memunmap_pages" in stack:
            how, cb = "memunmap_pages", "memunmap_pages"
        else:
            hit = [s for s in stack if s in {symbol_name(prog, f) for f in fault_fns}]
            if not hit:
                continue
            how, cb = "migrate_to_ram", hit[0]
        state = devmemlib.task_state(task_state_to_char(t))
        blocked.append({"pid": tgid, "tid": pid, "comm": comm, "state": state, "in": how,
                        "callback": cb, "waiting": how == "memunmap_pages", "stack": stack,
                        "pgmap": hex(waited) if waited else ""})
        if how == "memunmap_pages":
            pair_teardown(rows, blocked[-1], waited)

    return {"schema": 1, "tool": "devmemcore", "source": a.dump,
            "kernel": prog["init_uts_ns"].name.release.string_().decode(),
            "pgmaps": rows, "teardown_tasks_before_start": [
                b for b in blocked if b["in"] == "memunmap_pages"],
            "fault_tasks": [b for b in blocked if b["in"] == "migrate_to_ram"],
            "tasks_without_stack": no_stack}


def p_(pg):
    return pg.value_()


def name_rows(rows):
    """driver/device#N, N counting the earlier rows of the same driver,
    device and pci (pgmap_names_index(), tools/lib/pgmap_names.c). The rows
    go in devmemtop's order, so that both give a pgmap the same name: the
    live ones by address (its debugfs list), then those whose teardown has
    begun (debugfs no longer lists them; devmemtop finds them after)."""
    rows.sort(key=lambda r: (r["ref"]["state"] == "killed", int(r["start"], 16)))
    for i, r in enumerate(rows):
        n = sum(1 for k in rows[:i] if (k["driver"], k["device"], k["pci"]) ==
                (r["driver"], r["device"], r["pci"]))
        label = r["device"] if not r["pci"] or r["pci"] == r["device"] else "%s@%s" % (
            r["device"], r["pci"])
        r["name"] = "%s/%s#%d" % (r["driver"] or "unknown", label or "unknown", n)


def pair_teardown(rows, task, waited):
    """The pgmap memunmap_pages() waits for: its argument where DWARF has
    it, else the one killed pgmap."""
    cands = [r for r in rows if waited and int(r["pgmap"], 16) == waited]
    if not cands:
        cands = [r for r in rows if r["ref"]["state"] == "killed"]
    if len(cands) != 1:
        return
    r = cands[0]
    r["teardown_waiting"] = True
    task["pgmap"] = r["pgmap"]
    task["pgmap_name"] = r["name"]
    r["teardown"] = {"waiting": True, "task": {k: task[k] for k in (
        "pid", "tid", "comm", "state", "stack")},
        "outstanding_pages": r["pages_walk"]["in_use_pages"],
        "references": r["ref"]["references"]}


def print_text(doc, out):
    w = out.write
    w("devmemcore: kernel %s, %s: %d pgmaps\n" % (doc["kernel"], doc["source"], len(doc["pgmaps"])))
    for r in doc["pgmaps"]:
        ref = r["ref"]
        w("%-28s %-8s %s-%s ops %s owner %s%s\n" % (
            r["name"], r["type"], r["start"], r["end"], r["ops"] or "-", r["owner"],
            " (%s)" % r["owner_symbol"] if r["owner_symbol"] else ""))
        w("  ref %s, %s mode, %d references\n" % (ref["state"], ref["mode"], ref["references"]))
        pw = r["pages_walk"]
        w("  %d pages in use in %d folios%s\n" % (
            pw["in_use_pages"], pw["in_use_folios"], "" if pw["complete"] else
            " (%d pages unreadable)" % pw["unreadable_pages"]))
        for f in pw["folios"]:
            by = ", ".join("%d (%s)" % (m["pid"], m["comm"]) for m in f["mappers"])
            w("    pfn %s order %d ref %d map %d%s\n" % (f["pfn"], f["order"], f["refcount"],
                                                       f["mapcount"], " by " + by if by else ""))
        if pw["folios_not_listed"]:
            w("    ... %d more folios\n" % pw["folios_not_listed"])
        if r.get("teardown"):
            t = r["teardown"]
            w("teardown of %s waiting, %d pages outstanding\n" % (r["name"], t["outstanding_pages"]))
    for b in doc["teardown_tasks_before_start"] + doc["fault_tasks"]:
        w("in %s(): pid %d tid %d (%s), %s%s\n" % (
            b["callback"], b["pid"], b["tid"], b["comm"], b["state"],
            " on " + b["pgmap_name"] if b.get("pgmap_name") else ""))
        for s in b["stack"]:
            w("    %s\n" % s)
    if doc["tasks_without_stack"]:
        w("tasks whose stacks cannot be read (any may be in memunmap_pages() or a "
          "migrate_to_ram()):\n")
    for b in doc["tasks_without_stack"]:
        w("  pid %d tid %d (%s), %s%s, stack: unavailable (%s)\n" % (
            b["pid"], b["tid"], b["comm"], b["state"],
            " on CPU %d" % b["cpu"] if b["cpu"] >= 0 else "", b["stack_unavailable"]))
