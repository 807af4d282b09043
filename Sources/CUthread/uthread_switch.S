// The user-level context switch, x86-64 System V.
//
// A switch is a call: the caller-saved registers are already dead by the
// ABI, so only the callee-saved ones (rbx, rbp, r12-r15), the stack pointer,
// the instruction pointer (the return address the call pushed) and the
// floating-point control state (x87 control word, MXCSR: callee-saved by the
// ABI too) need keeping. They are pushed on the stack being left, its
// pointer is stored in save->sp, and the same frame is popped from load->sp.
//
// Frame, from load->sp up:
//   +0  x87 control word (2 bytes)   +4  MXCSR (4 bytes)
//   +8  r15  +16 r14  +24 r13  +32 r12  +40 rbx  +48 rbp  +56 return address
// kb_uctx_make builds the same frame for a fresh context, returning into
// kb_uctx_trampoline.
//
// kb_uctx layout: sp at 0, fs_base at 8.

#include "uthread_frame.h"

        .text

// Pushes the callee-saved state of the caller and stores the stack pointer
// into save (%rdi).
.macro SAVE_FRAME
        PUSH_CALLEE_SAVED
        subq    $8, %rsp
        fnstcw  (%rsp)
        stmxcsr 4(%rsp)
        movq    %rsp, (%rdi)
.endm

// Pops the frame of the context whose stack pointer is in %rsp, and returns
// into it.
.macro LOAD_FRAME
        fldcw   (%rsp)
        ldmxcsr 4(%rsp)
        addq    $8, %rsp
        POP_CALLEE_SAVED
        ret
.endm

// void kb_uctx_switch(kb_uctx *save, const kb_uctx *load)
        .globl  kb_uctx_switch
        .type   kb_uctx_switch, @function
        .p2align 4
kb_uctx_switch:
        .cfi_startproc
        SAVE_FRAME
        movq    (%rsi), %rsp
        LOAD_FRAME
        .cfi_endproc
        .size   kb_uctx_switch, .-kb_uctx_switch

// void kb_uctx_switch_wrfsbase(kb_uctx *save, const kb_uctx *load)
        .globl  kb_uctx_switch_wrfsbase
        .type   kb_uctx_switch_wrfsbase, @function
        .p2align 4
kb_uctx_switch_wrfsbase:
        .cfi_startproc
        SAVE_FRAME
        movq    8(%rsi), %rax
        wrfsbase %rax
        movq    (%rsi), %rsp
        LOAD_FRAME
        .cfi_endproc
        .size   kb_uctx_switch_wrfsbase, .-kb_uctx_switch_wrfsbase

// void kb_uctx_switch_arch_prctl(kb_uctx *save, const kb_uctx *load)
// syscall clobbers rax, rcx, r11 (caller-saved) and the argument registers;
// load is kept in rbx, whose caller value is already on the stack.
        .globl  kb_uctx_switch_arch_prctl
        .type   kb_uctx_switch_arch_prctl, @function
        .p2align 4
kb_uctx_switch_arch_prctl:
        .cfi_startproc
        SAVE_FRAME
        movq    %rsi, %rbx
        movl    $158, %eax              // __NR_arch_prctl
        movl    $0x1002, %edi           // ARCH_SET_FS
        movq    8(%rbx), %rsi
        syscall
        testq   %rax, %rax
        jnz     1f
        movq    (%rbx), %rsp
        LOAD_FRAME
1:      ud2                             // refused: never run with the wrong TLS
        .cfi_endproc
        .size   kb_uctx_switch_arch_prctl, .-kb_uctx_switch_arch_prctl

// The first return into a fresh context lands here with entry in r12 and its
// argument in r13, and the stack 16-byte aligned. entry never returns.
        .globl  kb_uctx_trampoline
        .type   kb_uctx_trampoline, @function
        .p2align 4
kb_uctx_trampoline:
        .cfi_startproc
        .cfi_undefined rip              // the outermost frame: unwinders stop here
        movq    %r13, %rdi
        callq   *%r12
        ud2
        .cfi_endproc
        .size   kb_uctx_trampoline, .-kb_uctx_trampoline

        .section .note.GNU-stack,"",@progbits
