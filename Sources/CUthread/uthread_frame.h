// Assembler macros shared by the switch and its test probes: the callee-saved
// registers of the x86-64 System V ABI, pushed, popped and loaded in one order.
#ifndef KBENCH_UTHREAD_FRAME_H
#define KBENCH_UTHREAD_FRAME_H
#ifdef __ASSEMBLER__

// rbp, rbx, r12-r15 onto the stack (the frame order of uthread_switch.S).
.macro PUSH_CALLEE_SAVED
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
.endm

.macro POP_CALLEE_SAVED
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
.endm

// rbx, rbp, r12-r15 and the x87 control word / MXCSR from the probe layout
// at \base: regs[0..5], regs[6], regs[7].
.macro LOAD_PROBE_VALUES base
        fldcw   48(\base)
        ldmxcsr 56(\base)
        movq    0(\base), %rbx
        movq    8(\base), %rbp
        movq    16(\base), %r12
        movq    24(\base), %r13
        movq    32(\base), %r14
        movq    40(\base), %r15
.endm

#endif
#endif
