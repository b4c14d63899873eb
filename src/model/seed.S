/* The seed lab file (netns/seed.yaml), embedded so that `labo up` with no
 * argument needs nothing beside the binary. */
        .section .rodata
        .global labo_seed_yaml
        .type labo_seed_yaml, @object
labo_seed_yaml:
        .incbin SEED_FILE
1:
        .byte 0
        .balign 8
        .global labo_seed_yaml_len
        .type labo_seed_yaml_len, @object
labo_seed_yaml_len:
        .quad 1b - labo_seed_yaml
        .section .note.GNU-stack,"",@progbits
