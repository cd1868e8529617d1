#include <criterion/criterion.h>
Test(tear, placeholder)
{
}
