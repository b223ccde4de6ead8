/*
 * joint_c_fake_pred.h - a stand-in for the generated spk_pred.h, used by
 * tests/test_joint_c.py (test_step_driver_peer_mean_is_the_integer_rule), which renders
 * the frame API from codegen/emit/templates/codec.{h,c}.j2 into spk_codec.h / spk_codec.c
 * and builds it against this header as "spk_pred.h" to check the step driver's integer
 * peer mean alone: the latent is z = (8 (x - 512), -16 x + 7), and the head returns the
 * peer mean itself as (L, log2s_q8).
 */
#ifndef SPK_PRED_H
#define SPK_PRED_H

#include <stdint.h>

#define SPK_PRED_INPUTS 1
#define SPK_PRED_U_ALLOC 1
#define SPK_PRED_MIDDLEOUT 1
#define SPK_PRED_LATENT 2
#define SPK_PRED_LATENT_FRAC 0

typedef struct {
    int32_t unused;
} spk_pred_state_t;

/* No state to reset. */
static inline void spk_pred_reset(spk_pred_state_t *s, int32_t x)
{
    (void)s;
    (void)x;
}

/* The network input is the code itself, with shift 0. */
static inline int32_t spk_pred_input(spk_pred_state_t *s, int32_t x, int16_t *u)
{
    (void)s;
    u[0] = (int16_t)x;
    return 0;
}

/* z = (8 (u - 512), -16 u + 7): negative and positive latents, known from x. */
static inline void spk_pred_latent(spk_pred_state_t *s, const int16_t *u, int16_t *z)
{
    (void)s;
    z[0] = (int16_t)(8 * (u[0] - 512));
    z[1] = (int16_t)(-16 * u[0] + 7);
}

/* (L, log2s_q8) = the peer mean m, so that the test reads the driver's mean back. */
static inline void spk_pred_head(spk_pred_state_t *s, int32_t x, int32_t sh, const int16_t *z, const int16_t *m,
                                 int32_t *L, int32_t *ls)
{
    (void)s;
    (void)x;
    (void)sh;
    (void)z;
    *L = m[0];
    *ls = m[1];
}

/* Not used by the joint step; (0, 0). */
static inline void spk_pred_step(spk_pred_state_t *s, int32_t x, int32_t *L, int32_t *ls)
{
    (void)s;
    (void)x;
    *L = 0;
    *ls = 0;
}

#endif /* SPK_PRED_H */
