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

// Switch-to, whole (kb_uthread_switch_to in CUthread.h says what and
// why). Offsets are those of kb_uthread_core, kb_vcore_core and
// kb_vcore_events; uthread_support.c asserts them at compile time.
#define U_FS_BASE       8
#define U_VCORE         16
#define U_STATE         24
#define U_HAS_TLS       25
#define V_FS_BASE       8
#define V_CURRENT       16
#define V_HAND_OFF      24
#define V_POPS          32
#define V_EVENTS        40
#define V_ACTION        48
#define V_FS_MECHANISM  49
#define E_PENDING       0
#define E_DISABLED      4
#define UTHREAD_RUNNING 1
#define UTHREAD_BLOCKED 2
#define ACTION_HAND_OFF 3
#define FS_WRFSBASE     0

// Loads \base into the FS base by arch_prctl(ARCH_SET_FS). The system call
// clobbers rax, rcx, r11, rdi, rsi: nothing live after it but %rsp and
// %rbx, since the next step pops a whole frame.
.macro ARCH_PRCTL_SET_FS base
        movq    \base, %rsi
        movl    $158, %eax              // __NR_arch_prctl
        movl    $0x1002, %edi           // ARCH_SET_FS
        syscall
        testq   %rax, %rax
        jz      93f
        ud2                             // refused: never run with the wrong TLS
93:
.endm

// void kb_uthread_switch_to(kb_uthread_core *self, kb_uthread_core *next)
// self in %rdi, next in %rsi; after the frame is saved the callee-saved
// registers are free: vcore in %rbx, its events in %r12.
        .globl  kb_uthread_switch_to
        .type   kb_uthread_switch_to, @function
        .p2align 4
kb_uthread_switch_to:
        .cfi_startproc
        SAVE_FRAME                      // self->ctx.sp: resumed by a return from here
        movq    U_VCORE(%rdi), %rbx
        movq    V_EVENTS(%rbx), %r12
        movb    $1, E_DISABLED(%r12)    // notifications off: "vcore context"
        cmpl    $0, E_PENDING(%r12)     // an event already? the slow way
        jne     .Lsw_pending_before
        movq    %rbx, U_VCORE(%rsi)
        movq    %rsi, V_CURRENT(%rbx)
        incq    V_POPS(%rbx)
        movb    $UTHREAD_RUNNING, U_STATE(%rsi)
        movq    (%rsi), %rsp            // next's stack; self is saved and left
        movb    $UTHREAD_BLOCKED, U_STATE(%rdi)
        movb    $0, E_DISABLED(%r12)    // notifications on for next, then the
        cmpl    $0, E_PENDING(%r12)     // wakeup-waiting check on its behalf
        jne     .Lsw_pending_after
        movzbl  U_HAS_TLS(%rdi), %edx   // either side with TLS: the FS base
        orb     U_HAS_TLS(%rsi), %dl    // changes (orb sets ZF itself)
        jnz     .Lsw_load_fs
        LOAD_FRAME
.Lsw_load_fs:
        movq    U_FS_BASE(%rsi), %rdx   // next's thread pointer, 0 without TLS:
        testq   %rdx, %rdx              // then the vcore's
        cmovzq  V_FS_BASE(%rbx), %rdx
        cmpb    $FS_WRFSBASE, V_FS_MECHANISM(%rbx)
        jne     .Lsw_load_fs_syscall
        wrfsbase %rdx
        LOAD_FRAME
.Lsw_load_fs_syscall:
        ARCH_PRCTL_SET_FS %rdx
        LOAD_FRAME

// An event was pending before the switch: on self's stack, self saved and
// still running; vcore context hands off to next after handling it.
.Lsw_pending_before:
        movb    $ACTION_HAND_OFF, V_ACTION(%rbx)
        movq    %rsi, V_HAND_OFF(%rbx)
        jmp     .Lsw_to_vcore
// An event came during the switch: on next's stack, its frame untouched
// (next->ctx.sp still names it), the FS base still self's; vcore context
// takes next as the uthread that dropped in, handles the event, and pops
// next again.
.Lsw_pending_after:
        movb    $1, E_DISABLED(%r12)
        movb    $ACTION_HAND_OFF, V_ACTION(%rbx)
        movq    %rsi, V_HAND_OFF(%rbx)
.Lsw_to_vcore:
        cmpb    $0, U_HAS_TLS(%rdi)     // self's TLS loaded: the vcore's back
        je      2f
        movq    V_FS_BASE(%rbx), %rdx
        cmpb    $FS_WRFSBASE, V_FS_MECHANISM(%rbx)
        jne     1f
        wrfsbase %rdx
        jmp     2f
1:      ARCH_PRCTL_SET_FS %rdx
2:      movq    (%rbx), %rsp
        LOAD_FRAME
        .cfi_endproc
        .size   kb_uthread_switch_to, .-kb_uthread_switch_to

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
