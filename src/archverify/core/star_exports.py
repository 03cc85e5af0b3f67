"""What ``from M import *`` binds, for the standard-library modules whose calls purity forbids.

A star import binds a module's ``__all__`` (or its public names when it has none). These lists
are the union over Python 3.11, 3.12 and 3.13 on Linux (``os`` with ``startfile`` too), read
once and written here, because the walker is pure and never imports what it reads. A module
not listed here binds names that are not known: ``aliases.Scope.lookup`` then takes an unbound
name for the last such module's.
"""

from __future__ import annotations

_NAMES: dict[str, str] = {
    "bz2": ("BZ2Compressor BZ2Decompressor BZ2File compress decompress open"),
    "codecs": (
        "BOM BOM32_BE BOM32_LE BOM64_BE BOM64_LE BOM_BE BOM_LE BOM_UTF16 BOM_UTF16_BE "
        "BOM_UTF16_LE BOM_UTF32 BOM_UTF32_BE BOM_UTF32_LE BOM_UTF8 Codec CodecInfo EncodedFile "
        "IncrementalDecoder IncrementalEncoder StreamReader StreamReaderWriter StreamRecoder "
        "StreamWriter backslashreplace_errors decode encode getdecoder getencoder "
        "getincrementaldecoder getincrementalencoder getreader getwriter ignore_errors iterdecode "
        "iterencode lookup lookup_error namereplace_errors open register register_error "
        "replace_errors strict_errors xmlcharrefreplace_errors"
    ),
    "csv": (
        "Dialect DictReader DictWriter Error QUOTE_ALL QUOTE_MINIMAL QUOTE_NONE QUOTE_NONNUMERIC "
        "QUOTE_NOTNULL QUOTE_STRINGS Sniffer __doc__ __version__ excel excel_tab field_size_limit "
        "get_dialect list_dialects reader register_dialect unix_dialect unregister_dialect writer"
    ),
    "glob": ("escape glob iglob translate"),
    "gzip": ("BadGzipFile GzipFile compress decompress open"),
    "http.client": (
        "BadStatusLine CannotSendHeader CannotSendRequest HTTPConnection HTTPException "
        "HTTPResponse HTTPSConnection ImproperConnectionState IncompleteRead InvalidURL "
        "LineTooLong NotConnected RemoteDisconnected ResponseNotReady UnimplementedFileMode "
        "UnknownProtocol UnknownTransferEncoding error responses"
    ),
    "io": (
        "BlockingIOError BufferedIOBase BufferedRWPair BufferedRandom BufferedReader "
        "BufferedWriter BytesIO DEFAULT_BUFFER_SIZE FileIO IOBase IncrementalNewlineDecoder "
        "RawIOBase SEEK_CUR SEEK_END SEEK_SET StringIO TextIOBase TextIOWrapper "
        "UnsupportedOperation open open_code text_encoding"
    ),
    "json": ("JSONDecodeError JSONDecoder JSONEncoder dump dumps load loads"),
    "lzma": (
        "CHECK_CRC32 CHECK_CRC64 CHECK_ID_MAX CHECK_NONE CHECK_SHA256 CHECK_UNKNOWN FILTER_ARM "
        "FILTER_ARMTHUMB FILTER_DELTA FILTER_IA64 FILTER_LZMA1 FILTER_LZMA2 FILTER_POWERPC "
        "FILTER_SPARC FILTER_X86 FORMAT_ALONE FORMAT_AUTO FORMAT_RAW FORMAT_XZ LZMACompressor "
        "LZMADecompressor LZMAError LZMAFile MF_BT2 MF_BT3 MF_BT4 MF_HC3 MF_HC4 MODE_FAST "
        "MODE_NORMAL PRESET_DEFAULT PRESET_EXTREME compress decompress is_check_supported open"
    ),
    "marshal": ("dump dumps load loads version"),
    "os": (
        "CLD_CONTINUED CLD_DUMPED CLD_EXITED CLD_KILLED CLD_STOPPED CLD_TRAPPED CLONE_FILES "
        "CLONE_FS CLONE_NEWCGROUP CLONE_NEWIPC CLONE_NEWNET CLONE_NEWNS CLONE_NEWPID "
        "CLONE_NEWTIME CLONE_NEWUSER CLONE_NEWUTS CLONE_SIGHAND CLONE_SYSVSEM CLONE_THREAD "
        "CLONE_VM DirEntry EFD_CLOEXEC EFD_NONBLOCK EFD_SEMAPHORE EX_CANTCREAT EX_CONFIG "
        "EX_DATAERR EX_IOERR EX_NOHOST EX_NOINPUT EX_NOPERM EX_NOUSER EX_OK EX_OSERR EX_OSFILE "
        "EX_PROTOCOL EX_SOFTWARE EX_TEMPFAIL EX_UNAVAILABLE EX_USAGE F_LOCK F_OK F_TEST F_TLOCK "
        "F_ULOCK GRND_NONBLOCK GRND_RANDOM MFD_ALLOW_SEALING MFD_CLOEXEC MFD_HUGETLB "
        "MFD_HUGE_16GB MFD_HUGE_16MB MFD_HUGE_1GB MFD_HUGE_1MB MFD_HUGE_256MB MFD_HUGE_2GB "
        "MFD_HUGE_2MB MFD_HUGE_32MB MFD_HUGE_512KB MFD_HUGE_512MB MFD_HUGE_64KB MFD_HUGE_8MB "
        "MFD_HUGE_MASK MFD_HUGE_SHIFT NGROUPS_MAX O_ACCMODE O_APPEND O_ASYNC O_CLOEXEC O_CREAT "
        "O_DIRECT O_DIRECTORY O_DSYNC O_EXCL O_FSYNC O_LARGEFILE O_NDELAY O_NOATIME O_NOCTTY "
        "O_NOFOLLOW O_NONBLOCK O_PATH O_RDONLY O_RDWR O_RSYNC O_SYNC O_TMPFILE O_TRUNC O_WRONLY "
        "POSIX_FADV_DONTNEED POSIX_FADV_NOREUSE POSIX_FADV_NORMAL POSIX_FADV_RANDOM "
        "POSIX_FADV_SEQUENTIAL POSIX_FADV_WILLNEED POSIX_SPAWN_CLOSE POSIX_SPAWN_CLOSEFROM "
        "POSIX_SPAWN_DUP2 POSIX_SPAWN_OPEN PRIO_PGRP PRIO_PROCESS PRIO_USER P_ALL P_NOWAIT "
        "P_NOWAITO P_PGID P_PID P_PIDFD P_WAIT RTLD_DEEPBIND RTLD_GLOBAL RTLD_LAZY RTLD_LOCAL "
        "RTLD_NODELETE RTLD_NOLOAD RTLD_NOW RWF_APPEND RWF_DSYNC RWF_HIPRI RWF_NOWAIT RWF_SYNC "
        "R_OK SCHED_BATCH SCHED_FIFO SCHED_IDLE SCHED_OTHER SCHED_RESET_ON_FORK SCHED_RR SEEK_CUR "
        "SEEK_DATA SEEK_END SEEK_HOLE SEEK_SET SPLICE_F_MORE SPLICE_F_MOVE SPLICE_F_NONBLOCK "
        "ST_APPEND ST_MANDLOCK ST_NOATIME ST_NODEV ST_NODIRATIME ST_NOEXEC ST_NOSUID ST_RDONLY "
        "ST_RELATIME ST_SYNCHRONOUS ST_WRITE TFD_CLOEXEC TFD_NONBLOCK TFD_TIMER_ABSTIME "
        "TFD_TIMER_CANCEL_ON_SET TMP_MAX WCONTINUED WCOREDUMP WEXITED WEXITSTATUS WIFCONTINUED "
        "WIFEXITED WIFSIGNALED WIFSTOPPED WNOHANG WNOWAIT WSTOPPED WSTOPSIG WTERMSIG WUNTRACED "
        "W_OK XATTR_CREATE XATTR_REPLACE XATTR_SIZE_MAX X_OK _exit abort access altsep chdir "
        "chmod chown chroot close closerange confstr confstr_names copy_file_range cpu_count "
        "ctermid curdir defpath device_encoding devnull dup dup2 environ environb error eventfd "
        "eventfd_read eventfd_write execl execle execlp execlpe execv execve execvp execvpe "
        "extsep fchdir fchmod fchown fdatasync fdopen fork forkpty fpathconf fsdecode fsencode "
        "fspath fstat fstatvfs fsync ftruncate fwalk get_blocking get_exec_path get_inheritable "
        "get_terminal_size getcwd getcwdb getegid getenv getenvb geteuid getgid getgrouplist "
        "getgroups getloadavg getlogin getpgid getpgrp getpid getppid getpriority getrandom "
        "getresgid getresuid getsid getuid getxattr grantpt initgroups isatty kill killpg lchown "
        "linesep link listdir listxattr lockf login_tty lseek lstat major makedev makedirs "
        "memfd_create minor mkdir mkfifo mknod name nice open openpty pardir path pathconf "
        "pathconf_names pathsep pidfd_open pipe pipe2 popen posix_fadvise posix_fallocate "
        "posix_openpt posix_spawn posix_spawnp pread preadv ptsname putenv pwrite pwritev read "
        "readlink readv register_at_fork remove removedirs removexattr rename renames replace "
        "rmdir scandir sched_get_priority_max sched_get_priority_min sched_getaffinity "
        "sched_getparam sched_getscheduler sched_param sched_rr_get_interval sched_setaffinity "
        "sched_setparam sched_setscheduler sched_yield sendfile sep set_blocking set_inheritable "
        "setegid seteuid setgid setgroups setns setpgid setpgrp setpriority setregid setresgid "
        "setresuid setreuid setsid setuid setxattr spawnl spawnle spawnlp spawnlpe spawnv spawnve "
        "spawnvp spawnvpe splice startfile stat stat_result statvfs statvfs_result strerror "
        "supports_bytes_environ symlink sync sysconf sysconf_names system tcgetpgrp tcsetpgrp "
        "terminal_size timerfd_create timerfd_gettime timerfd_gettime_ns timerfd_settime "
        "timerfd_settime_ns times times_result truncate ttyname umask uname uname_result unlink "
        "unlockpt unsetenv unshare urandom utime wait wait3 wait4 waitid waitid_result waitpid "
        "waitstatus_to_exitcode walk write writev"
    ),
    "os.path": (
        "abspath altsep basename commonpath commonprefix curdir defpath devnull dirname exists "
        "expanduser expandvars extsep getatime getctime getmtime getsize isabs isdevdrive isdir "
        "isfile isjunction islink ismount join lexists normcase normpath pardir pathsep realpath "
        "relpath samefile sameopenfile samestat sep split splitdrive splitext splitroot "
        "supports_unicode_filenames"
    ),
    "pathlib": (
        "Path PosixPath PurePath PurePosixPath PureWindowsPath UnsupportedOperation WindowsPath"
    ),
    "pickle": (
        "ADDITEMS APPEND APPENDS BINBYTES BINBYTES8 BINFLOAT BINGET BININT BININT1 BININT2 "
        "BINPERSID BINPUT BINSTRING BINUNICODE BINUNICODE8 BUILD BYTEARRAY8 DEFAULT_PROTOCOL DICT "
        "DUP EMPTY_DICT EMPTY_LIST EMPTY_SET EMPTY_TUPLE EXT1 EXT2 EXT4 FALSE FLOAT FRAME "
        "FROZENSET GET GLOBAL HIGHEST_PROTOCOL INST INT LIST LONG LONG1 LONG4 LONG_BINGET "
        "LONG_BINPUT MARK MEMOIZE NEWFALSE NEWOBJ NEWOBJ_EX NEWTRUE NEXT_BUFFER NONE OBJ PERSID "
        "POP POP_MARK PROTO PUT PickleBuffer PickleError Pickler PicklingError READONLY_BUFFER "
        "REDUCE SETITEM SETITEMS SHORT_BINBYTES SHORT_BINSTRING SHORT_BINUNICODE STACK_GLOBAL "
        "STOP STRING TRUE TUPLE TUPLE1 TUPLE2 TUPLE3 UNICODE Unpickler UnpicklingError dump dumps "
        "load loads"
    ),
    "shelve": ("BsdDbShelf DbfilenameShelf Shelf open"),
    "shutil": (
        "Error ExecError SameFileError SpecialFileError chown copy copy2 copyfile copyfileobj "
        "copymode copystat copytree disk_usage get_archive_formats get_terminal_size "
        "get_unpack_formats ignore_patterns make_archive move register_archive_format "
        "register_unpack_format rmtree unpack_archive unregister_archive_format "
        "unregister_unpack_format which"
    ),
    "subprocess": (
        "CalledProcessError CompletedProcess DEVNULL PIPE Popen STDOUT SubprocessError "
        "TimeoutExpired call check_call check_output getoutput getstatusoutput run"
    ),
    "sys": (
        "abiflags activate_stack_trampoline addaudithook api_version argv audit base_exec_prefix "
        "base_prefix breakpointhook builtin_module_names byteorder call_tracing copyright "
        "deactivate_stack_trampoline displayhook dont_write_bytecode exc_info excepthook "
        "exception exec_prefix executable exit flags float_info float_repr_style "
        "get_asyncgen_hooks get_coroutine_origin_tracking_depth get_int_max_str_digits "
        "getallocatedblocks getdefaultencoding getdlopenflags getfilesystemencodeerrors "
        "getfilesystemencoding getprofile getrecursionlimit getrefcount getsizeof "
        "getswitchinterval gettrace getunicodeinternedsize hash_info hexversion implementation "
        "int_info intern is_finalizing is_stack_trampoline_active maxsize maxunicode meta_path "
        "modules monitoring orig_argv path path_hooks path_importer_cache platform platlibdir "
        "prefix pycache_prefix set_asyncgen_hooks set_coroutine_origin_tracking_depth "
        "set_int_max_str_digits setdlopenflags setprofile setrecursionlimit setswitchinterval "
        "settrace stderr stdin stdlib_module_names stdout thread_info unraisablehook version "
        "version_info warnoptions"
    ),
    "tarfile": (
        "AbsoluteLinkError AbsolutePathError CompressionError DEFAULT_FORMAT ENCODING "
        "ExtractError FilterError GNU_FORMAT HeaderError LinkOutsideDestinationError "
        "OutsideDestinationError PAX_FORMAT ReadError SpecialFileError StreamError TarError "
        "TarFile TarInfo USTAR_FORMAT data_filter fully_trusted_filter is_tarfile open tar_filter"
    ),
    "tempfile": (
        "NamedTemporaryFile SpooledTemporaryFile TMP_MAX TemporaryDirectory TemporaryFile "
        "gettempdir gettempdirb gettempprefix gettempprefixb mkdtemp mkstemp mktemp tempdir"
    ),
    "urllib.request": (
        "AbstractBasicAuthHandler AbstractDigestAuthHandler BaseHandler CacheFTPHandler "
        "DataHandler FTPHandler FancyURLopener FileHandler HTTPBasicAuthHandler "
        "HTTPCookieProcessor HTTPDefaultErrorHandler HTTPDigestAuthHandler HTTPErrorProcessor "
        "HTTPHandler HTTPPasswordMgr HTTPPasswordMgrWithDefaultRealm HTTPPasswordMgrWithPriorAuth "
        "HTTPRedirectHandler HTTPSHandler OpenerDirector ProxyBasicAuthHandler "
        "ProxyDigestAuthHandler ProxyHandler Request URLopener UnknownHandler build_opener "
        "getproxies install_opener pathname2url url2pathname urlcleanup urlopen urlretrieve"
    ),
    "zipfile": (
        "BadZipFile BadZipfile LargeZipFile Path PyZipFile ZIP_BZIP2 ZIP_DEFLATED ZIP_LZMA "
        "ZIP_STORED ZipFile ZipInfo error is_zipfile"
    ),
}

STAR_EXPORTS: dict[str, frozenset[str]] = {
    module: frozenset(names.split()) for module, names in _NAMES.items()
}
