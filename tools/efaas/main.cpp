#include "tools/efaas/cli.hpp"

int main(int argc, char** argv) { return efaas::cli::run(argc, argv); }
