// The user-level context switch, x86-64 System V.
//
// A switch is a call: the caller-saved registers are already dead by the
// ABI, so only the callee-saved ones (rbx, rbp, r12-r15), the stack pointer,
// the instruction pointer and the floating-point control state (x87 control
// word, MXCSR: callee-saved by the ABI too) need keeping. All but the
// instruction pointer are stored in the kb_uctx being left (as Akaros keeps
// a uthread's registers in the uthread) and loaded from the one being
// resumed. The instruction pointer is the return address the call pushed:
// it stays on the stack, and the switch ends by popping it and jumping
// there, as Boost.Context does.
//
// Why in the context and not pushed on the stack: a switch to a uthread not
// run lately then waits for its control block only (kb_uthread_core: its
// stack pointer and registers, on lines whose addresses are known at once,
// fetched in parallel), not for two misses in a row (the control block for
// the stack pointer, then the frame it points to for the registers). The
// return address is on the stack line the resumed code touches next anyway,
// and the jump does not wait for it: the branch predictor supplies the
// target. Measured: switch-to at 1000 uthreads 1.04-1.14x its 2-uthread
// figure against 1.04-1.27x with the registers on the stack.
//
// Why `pop; jmp` and not `ret`: the return-stack predictor pairs each `ret`
// with the latest `call`, and a switch returns into the other side's call.
// In a 2LS yield the uthread calls the switch to enter vcore context and
// vcore context calls it to resume a uthread, so every `ret` went to the
// wrong one of the two and was mispredicted; the indirect-jump predictor
// learns where each switch goes. Measured: the unlocked 2LS yield 17-30 ns
// against 32-42 ns with `ret` (switch-to, whose ring switches from one call
// site, was predicted either way). Both numbers: README, "ctxbench switch".
//
// kb_uctx_make builds a fresh context that returns into kb_uctx_trampoline.

#include "uthread_frame.h"

        .text

// void kb_uctx_switch(kb_uctx *save, const kb_uctx *load)
        .globl  kb_uctx_switch
        .type   kb_uctx_switch, @function
        .p2align 4
kb_uctx_switch:
        .cfi_startproc
        SAVE_CONTEXT %rdi
        LOAD_CONTEXT %rsi
        .cfi_endproc
        .size   kb_uctx_switch, .-kb_uctx_switch

// void kb_uctx_switch_wrfsbase(kb_uctx *save, const kb_uctx *load)
        .globl  kb_uctx_switch_wrfsbase
        .type   kb_uctx_switch_wrfsbase, @function
        .p2align 4
kb_uctx_switch_wrfsbase:
        .cfi_startproc
        SAVE_CONTEXT %rdi
        movq    CTX_FS_BASE(%rsi), %rax
        wrfsbase %rax
        LOAD_CONTEXT %rsi
        .cfi_endproc
        .size   kb_uctx_switch_wrfsbase, .-kb_uctx_switch_wrfsbase

// void kb_uctx_switch_arch_prctl(kb_uctx *save, const kb_uctx *load)
// syscall clobbers rax, rcx, r11 (caller-saved) and the argument registers;
// load is kept in rbx, whose caller value is already saved.
        .globl  kb_uctx_switch_arch_prctl
        .type   kb_uctx_switch_arch_prctl, @function
        .p2align 4
kb_uctx_switch_arch_prctl:
        .cfi_startproc
        SAVE_CONTEXT %rdi
        movq    %rsi, %rbx
        movl    $158, %eax              // __NR_arch_prctl
        movl    $0x1002, %edi           // ARCH_SET_FS
        movq    CTX_FS_BASE(%rbx), %rsi
        syscall
        testq   %rax, %rax
        jnz     1f
        LOAD_CONTEXT %rbx
1:      ud2                             // refused: never run with the wrong TLS
        .cfi_endproc
        .size   kb_uctx_switch_arch_prctl, .-kb_uctx_switch_arch_prctl

// Switch-to, whole (kb_uthread_switch_to in CUthread.h says what and
// why). Offsets are those of kb_uthread_core, kb_vcore_core and
// kb_vcore_events; uthread_support.c asserts them at compile time.
#define U_VCORE         8
#define U_STATE         16
#define U_HAS_TLS       17
#define U_CTX           24
#define U_FS_BASE       (U_CTX + CTX_FS_BASE)
#define V_FS_BASE       CTX_FS_BASE
#define V_CURRENT       72
#define V_HAND_OFF      80
#define V_POPS          88
#define V_EVENTS        96
#define V_ACTION        104
#define V_FS_MECHANISM  105
#define E_PENDING       0
#define E_DISABLED      4
#define UTHREAD_RUNNING 1
#define UTHREAD_BLOCKED 2
#define ACTION_HAND_OFF 3
#define FS_WRFSBASE     0

// Loads \base into the FS base by arch_prctl(ARCH_SET_FS). The system call
// clobbers rax, rcx, r11, rdi, rsi: nothing live after it but %rsp and
// %rbx, since the next step loads a whole context (from %rbx).
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
// self in %rdi, next in %rsi; once self is saved the callee-saved
// registers are free: vcore in %rbx, its events in %r12.
        .globl  kb_uthread_switch_to
        .type   kb_uthread_switch_to, @function
        .p2align 4
kb_uthread_switch_to:
        .cfi_startproc
        SAVE_CONTEXT %rdi, U_CTX        // self->ctx: resumed by a return from here
        movq    U_VCORE(%rdi), %rbx
        movq    V_EVENTS(%rbx), %r12
        movb    $1, E_DISABLED(%r12)    // notifications off: "vcore context"
        cmpl    $0, E_PENDING(%r12)     // an event already? the slow way
        jne     .Lsw_pending_before
        movq    %rbx, U_VCORE(%rsi)
        movq    %rsi, V_CURRENT(%rbx)
        incq    V_POPS(%rbx)
        movb    $UTHREAD_RUNNING, U_STATE(%rsi)
        movq    U_CTX+CTX_SP(%rsi), %rsp // next's stack; self is saved and left
        movb    $UTHREAD_BLOCKED, U_STATE(%rdi)
        movb    $0, E_DISABLED(%r12)    // notifications on for next, then the
        cmpl    $0, E_PENDING(%r12)     // wakeup-waiting check on its behalf
        jne     .Lsw_pending_after
        movzbl  U_HAS_TLS(%rdi), %edx   // either side with TLS: the FS base
        orb     U_HAS_TLS(%rsi), %dl    // changes (orb sets ZF itself)
        jnz     .Lsw_load_fs
        RESUME_CONTEXT %rsi, U_CTX
.Lsw_load_fs:
        movq    U_FS_BASE(%rsi), %rdx   // next's thread pointer, 0 without TLS:
        testq   %rdx, %rdx              // then the vcore's
        cmovzq  V_FS_BASE(%rbx), %rdx
        cmpb    $FS_WRFSBASE, V_FS_MECHANISM(%rbx)
        jne     .Lsw_load_fs_syscall
        wrfsbase %rdx
        RESUME_CONTEXT %rsi, U_CTX
.Lsw_load_fs_syscall:
        movq    %rsi, %rbx              // the system call clobbers %rsi
        ARCH_PRCTL_SET_FS %rdx
        RESUME_CONTEXT %rbx, U_CTX

// An event was pending before the switch: on self's stack, self saved and
// still running; vcore context hands off to next after handling it.
.Lsw_pending_before:
        movb    $ACTION_HAND_OFF, V_ACTION(%rbx)
        movq    %rsi, V_HAND_OFF(%rbx)
        jmp     .Lsw_to_vcore
// An event came during the switch: on next's stack, its context untouched
// (nothing is pushed there), the FS base still self's; vcore context
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
2:      LOAD_CONTEXT %rbx               // the vcore's context, its first field
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
