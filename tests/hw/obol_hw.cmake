# obol_hw: the helper library of the hardware tests (tests/hw) and of the image
# benchmark (bench/hw): the card image under QEMU through the CLI's backend
# (core/cli/vcard_qemu.c, compiled here from the same source, not copied), the
# in-process card beside it, power cuts, the timing measurement and fit. Included by
# both folders' CMakeLists.txt; defined once.
if(NOT TARGET obol_hw)
    set(OBOL_HW_DIR ${PROJECT_SOURCE_DIR}/tests/hw)
    add_library(obol_hw STATIC
        ${OBOL_HW_DIR}/hwlib.c
        ${OBOL_HW_DIR}/hw_timing.c
        ${PROJECT_SOURCE_DIR}/core/cli/vcard_qemu.c
        ${PROJECT_SOURCE_DIR}/core/cli/script.c)
    target_include_directories(obol_hw PUBLIC ${OBOL_HW_DIR} ${PROJECT_SOURCE_DIR}/core/cli)
    target_compile_definitions(obol_hw PRIVATE
        OBOL_CARD_ELF_DEFAULT="${PROJECT_SOURCE_DIR}/build-arm/obol-card.elf")
    target_link_libraries(obol_hw PUBLIC obol_profile obol_applets obol_cos_host obol_cos obol_host
                                         m)
endif()
