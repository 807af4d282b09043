// Test probes for the switch: they set every callee-saved register and the
// FP control words to chosen values, switch away and back, and report what
// came back, which C or Swift cannot do (the compiler owns the registers).

#include "uthread_frame.h"

        .text

// void kb_uctx_probe_switch(kb_uctx *save, const kb_uctx *load, uint64_t regs[9])
// In:  regs[0..5] = rbx, rbp, r12, r13, r14, r15; regs[6] = x87 control
//      word; regs[7] = MXCSR.
// Out: regs[0..7] as found after the switch came back; regs[8] = 1 when
//      the stack pointer came back unchanged. The caller's registers and FP
//      control state are restored before returning.
        .globl  kb_uctx_probe_switch
        .type   kb_uctx_probe_switch, @function
        .p2align 4
kb_uctx_probe_switch:
        .cfi_startproc
        PUSH_CALLEE_SAVED
        pushq   %rdx                    // regs
        subq    $16, %rsp
        fnstcw  (%rsp)                  // the caller's FP control, restored at the end
        stmxcsr 4(%rsp)
        movq    %rsp, 8(%rsp)           // the stack pointer, compared afterwards
        LOAD_PROBE_VALUES %rdx
        call    kb_uctx_switch
        movq    16(%rsp), %rax          // regs
        movq    %rbx, 0(%rax)
        movq    %rbp, 8(%rax)
        movq    %r12, 16(%rax)
        movq    %r13, 24(%rax)
        movq    %r14, 32(%rax)
        movq    %r15, 40(%rax)
        movq    $0, 48(%rax)
        fnstcw  48(%rax)
        movq    $0, 56(%rax)
        stmxcsr 56(%rax)
        xorl    %ecx, %ecx
        cmpq    %rsp, 8(%rsp)
        sete    %cl
        movq    %rcx, 64(%rax)
        fldcw   (%rsp)
        ldmxcsr 4(%rsp)
        addq    $24, %rsp
        POP_CALLEE_SAVED
        ret
        .cfi_endproc
        .size   kb_uctx_probe_switch, .-kb_uctx_probe_switch

// void kb_uctx_probe_clobber_switch(kb_uctx *save, const kb_uctx *load, const uint64_t junk[8])
// Fills every callee-saved register and both FP control words with junk
// (regs layout as above), switches, and on return restores its caller's.
        .globl  kb_uctx_probe_clobber_switch
        .type   kb_uctx_probe_clobber_switch, @function
        .p2align 4
kb_uctx_probe_clobber_switch:
        .cfi_startproc
        PUSH_CALLEE_SAVED
        subq    $8, %rsp
        fnstcw  (%rsp)
        stmxcsr 4(%rsp)
        LOAD_PROBE_VALUES %rdx
        call    kb_uctx_switch
        fldcw   (%rsp)
        ldmxcsr 4(%rsp)
        addq    $8, %rsp
        POP_CALLEE_SAVED
        ret
        .cfi_endproc
        .size   kb_uctx_probe_clobber_switch, .-kb_uctx_probe_clobber_switch

        .section .note.GNU-stack,"",@progbits
