/**
 * Realistic Linux (Ubuntu 22.04/24.04 desktop and server) inventory material: package names as
 * dpkg lists them, third-party packages with their vendors, and the usual systemd units.
 */

/** Base-system packages every install has (maintainer: Ubuntu Developers). */
export const UBUNTU_BASE_PACKAGES =
  `adduser apparmor apt apt-utils base-files base-passwd bash bash-completion bc bind9-dnsutils
bind9-host bind9-libs bsdextrautils bsdutils btrfs-progs busybox-initramfs bzip2 ca-certificates cloud-guest-utils
console-setup coreutils cpio cron curl dash dbus dbus-user-session debconf debianutils diffutils dirmngr distro-info
distro-info-data dmidecode dmsetup dosfstools dpkg e2fsprogs eject ethtool fdisk file findutils fonts-dejavu-core
fuse3 gawk gcc-12-base gdisk gettext-base gir1.2-glib-2.0 gnupg gnupg-l10n gnupg-utils gpg gpg-agent gpgconf gpgsm
gpgv grep groff-base grub-common grub-efi-amd64-bin grub-efi-amd64-signed grub2-common gzip hdparm hostname
info init init-system-helpers initramfs-tools initramfs-tools-core iproute2 iptables iputils-ping iputils-tracepath
irqbalance isc-dhcp-client isc-dhcp-common kbd keyboard-configuration klibc-utils kmod krb5-locales less
libacl1 libapparmor1 libapt-pkg6.0 libargon2-1 libattr1 libaudit-common libaudit1 libblkid1 libbpf1 libbrotli1
libbsd0 libbz2-1.0 libc-bin libc6 libcap-ng0 libcap2 libcap2-bin libcbor0.8 libcom-err2 libcrypt1 libcryptsetup12
libcurl3-gnutls libcurl4 libdb5.3 libdbus-1-3 libdevmapper1.02.1 libedit2 libelf1 libexpat1 libext2fs2 libfdisk1
libffi8 libfido2-1 libfreetype6 libfribidi0 libfuse3-3 libgcc-s1 libgcrypt20 libgdbm6 libglib2.0-0 libgmp10
libgnutls30 libgpg-error0 libgssapi-krb5-2 libhogweed6 libicu70 libidn2-0 libip4tc2 libjson-c5 libk5crypto3
libkeyutils1 libkmod2 libkrb5-3 libkrb5support0 libldap-2.5-0 liblz4-1 liblzma5 libmagic-mgc libmagic1 libmnl0
libmount1 libncurses6 libncursesw6 libnetfilter-conntrack3 libnettle8 libnewt0.52 libnftables1 libnftnl11
libnghttp2-14 libnl-3-200 libnl-genl-3-200 libnpth0 libnss-systemd libp11-kit0 libpam-modules libpam-modules-bin
libpam-runtime libpam-systemd libpam0g libparted2 libpcap0.8 libpci3 libpcre2-8-0 libpcre3 libpipeline1 libpng16-16
libpolkit-gobject-1-0 libpopt0 libprocps8 libpsl5 libpython3-stdlib libpython3.10 libpython3.10-minimal
libpython3.10-stdlib libreadline8 librtmp1 libsasl2-2 libsasl2-modules-db libseccomp2 libselinux1 libsemanage2
libsmartcols1 libsqlite3-0 libss2 libssh-4 libssl3 libstdc++6 libsystemd0 libtasn1-6 libtinfo6 libtirpc3
libudev1 libunistring2 libuuid1 libwrap0 libxml2 libxtables12 libxxhash0 libyaml-0-2 libzstd1 locales login
logrotate lsb-base lsb-release lshw lsof man-db manpages mawk media-types mount nano ncurses-base ncurses-bin
netbase netcat-openbsd netplan.io networkd-dispatcher nftables open-iscsi openssh-client openssh-server
openssh-sftp-server openssl os-prober parted passwd pci.ids pciutils perl perl-base perl-modules-5.34 pinentry-curses
polkitd procps psmisc publicsuffix python3 python3-apt python3-certifi python3-chardet python3-dbus python3-distro
python3-gi python3-idna python3-minimal python3-netifaces python3-pkg-resources python3-requests python3-six
python3-urllib3 python3-yaml python3.10 python3.10-minimal readline-common rsync rsyslog sed sensible-utils shim-signed
snapd software-properties-common squashfs-tools sudo systemd systemd-sysv systemd-timesyncd sysvinit-utils tar
tcpdump telnet time tmux tzdata ubuntu-advantage-tools ubuntu-keyring ubuntu-minimal ubuntu-server ubuntu-standard
ucf udev ufw unattended-upgrades usbutils util-linux uuid-runtime vim vim-common vim-runtime vim-tiny wget
whiptail xauth xdg-user-dirs xfsprogs xxd xz-utils zlib1g zstd`.split(/\s+/);

/** Optional packages: server roles and desktop bits a device may or may not have. */
export const UBUNTU_OPTIONAL_PACKAGES = `apache2 apache2-bin apache2-data apache2-utils nginx nginx-common
postgresql-14 postgresql-client-14 postgresql-common mysql-client-8.0 mysql-server-8.0 redis-server redis-tools
git git-man make gcc-12 g++-12 build-essential cmake pkg-config python3-pip python3-venv python3-dev
default-jre-headless openjdk-17-jre-headless nodejs npm golang-1.18-go htop iotop sysstat nmap jq unzip zip
smartmontools lm-sensors nfs-common cifs-utils samba-common-bin sssd sssd-ad realmd adcli krb5-user
auditd fail2ban clamav clamav-daemon apparmor-utils needrestart landscape-common cloud-init qemu-guest-agent
open-vm-tools hyperv-daemons snmpd chrony prometheus-node-exporter haproxy keepalived certbot
gnome-shell gnome-terminal nautilus firefox thunderbird libreoffice-core libreoffice-writer libreoffice-calc
network-manager network-manager-gnome pulseaudio pipewire cups cups-browsed printer-driver-all
bluez gdm3 xserver-xorg-core xwayland fonts-noto-core evince eog gedit`.split(/\s+/);

/** name | publisher | version template | architecture, for vendor repositories. */
export const THIRD_PARTY_LINUX_PACKAGES: readonly string[] = [
  'docker-ce|Docker <support@docker.com>|5:2#.0.#-1~ubuntu.22.04~jammy|amd64',
  'docker-ce-cli|Docker <support@docker.com>|5:2#.0.#-1~ubuntu.22.04~jammy|amd64',
  'containerd.io|Docker <support@docker.com>|1.6.2#-1|amd64',
  'code|Microsoft Corporation|1.8#.#-17#########|amd64',
  'google-chrome-stable|Chrome Linux Team|12#.0.6###.##-1|amd64',
  'microsoft-edge-stable|Microsoft Corporation|12#.0.2###.##-1|amd64',
  'teams-for-linux|Ismael Martinez|1.#.#|amd64',
  'zoom|Zoom Video Communications, Inc.|6.#.#.####|amd64',
  'falcon-sensor|CrowdStrike Inc.|7.1#.0-1####|amd64',
  'amazon-ssm-agent|Amazon.com, Inc.|3.3.###.0-1|amd64',
  'azure-cli|Azure Python CLI Team|2.6#.0-1~jammy|all',
  'teleport|Gravitational Inc.|15.#.#|amd64',
  'zabbix-agent|Zabbix LLC|1:6.0.2#-1+ubuntu22.04|amd64',
  'elastic-agent|Elastic|8.1#.#|amd64',
  'tailscale|Tailscale Inc.|1.6#.#|amd64',
  'powershell|Microsoft Corporation|7.4.#-1.deb|amd64',
];

/** unit | usually running | start mode */
export const LINUX_SERVICES: readonly string[] = [
  'apparmor|0|enabled',
  'apport|0|enabled',
  'blk-availability|0|enabled',
  'cloud-config|0|enabled',
  'cloud-final|0|enabled',
  'cloud-init|0|enabled',
  'cloud-init-local|0|enabled',
  'console-setup|0|enabled',
  'cron|1|enabled',
  'dbus|1|static',
  'dmesg|0|enabled',
  'e2scrub_reap|0|enabled',
  'finalrd|0|enabled',
  'getty@tty1|1|enabled',
  'grub-common|0|enabled',
  'grub-initrd-fallback|0|enabled',
  'irqbalance|1|enabled',
  'keyboard-setup|0|enabled',
  'lvm2-monitor|1|enabled',
  'multipathd|1|enabled',
  'networkd-dispatcher|1|enabled',
  'open-iscsi|0|enabled',
  'plymouth-quit-wait|0|static',
  'polkit|1|static',
  'rsyslog|1|enabled',
  'secureboot-db|0|enabled',
  'setvtrgb|0|enabled',
  'snapd|1|enabled',
  'snapd.apparmor|0|enabled',
  'snapd.seeded|0|enabled',
  'ssh|1|enabled',
  'systemd-journald|1|static',
  'systemd-logind|1|static',
  'systemd-networkd|1|enabled',
  'systemd-networkd-wait-online|0|enabled',
  'systemd-resolved|1|enabled',
  'systemd-timesyncd|1|enabled',
  'systemd-udevd|1|static',
  'systemd-user-sessions|0|static',
  'ua-reboot-cmds|0|enabled',
  'ubuntu-advantage|0|enabled',
  'udisks2|1|enabled',
  'ufw|0|enabled',
  'unattended-upgrades|1|enabled',
  'upower|1|disabled',
  'user@1000|1|static',
  'apt-daily|0|static',
  'apt-daily-upgrade|0|static',
  'fwupd|0|static',
  'fwupd-refresh|0|static',
  'man-db|0|static',
  'motd-news|0|static',
  'logrotate|0|static',
  'systemd-tmpfiles-clean|0|static',
  'fstrim|0|static',
  'packagekit|0|static',
  'ModemManager|1|enabled',
  'NetworkManager|1|enabled',
  'wpa_supplicant|1|enabled',
  'avahi-daemon|1|enabled',
  'bluetooth|1|enabled',
  'cups|1|enabled',
  'cups-browsed|1|enabled',
  'gdm|1|static',
  'accounts-daemon|1|enabled',
  'colord|1|static',
  'switcheroo-control|1|enabled',
  'thermald|1|enabled',
  'kerneloops|1|enabled',
  'power-profiles-daemon|1|enabled',
  'rtkit-daemon|1|enabled',
];

/** Services that come with optional packages: package → unit line. */
export const LINUX_PACKAGE_SERVICES: Readonly<Record<string, string>> = {
  apache2: 'apache2|1|enabled',
  nginx: 'nginx|1|enabled',
  'postgresql-14': 'postgresql@14-main|1|enabled',
  'mysql-server-8.0': 'mysql|1|enabled',
  'redis-server': 'redis-server|1|enabled',
  sssd: 'sssd|1|enabled',
  auditd: 'auditd|1|enabled',
  fail2ban: 'fail2ban|1|enabled',
  'clamav-daemon': 'clamav-daemon|1|enabled',
  'qemu-guest-agent': 'qemu-guest-agent|1|static',
  'open-vm-tools': 'open-vm-tools|1|enabled',
  snmpd: 'snmpd|1|enabled',
  chrony: 'chrony|1|enabled',
  'prometheus-node-exporter': 'prometheus-node-exporter|1|enabled',
  haproxy: 'haproxy|1|enabled',
  keepalived: 'keepalived|1|enabled',
  'docker-ce': 'docker|1|enabled',
  'containerd.io': 'containerd|1|enabled',
  'falcon-sensor': 'falcon-sensor|1|enabled',
  'amazon-ssm-agent': 'amazon-ssm-agent|1|enabled',
  'zabbix-agent': 'zabbix-agent|1|enabled',
  'elastic-agent': 'elastic-agent|1|enabled',
  tailscale: 'tailscaled|1|enabled',
  teleport: 'teleport|1|enabled',
};

export const LINUX_HARDWARE: readonly string[] = [
  'Dell Inc.|PowerEdge R650|Rack Mount Chassis|Dell Inc.|1.1#.#',
  'HPE|ProLiant DL360 Gen10 Plus|Rack Mount Chassis|HPE|U46 v1.8#',
  'Supermicro|SYS-5019C-MR|Main Server Chassis|American Megatrends Inc.|2.#',
  'QEMU|Standard PC (Q35 + ICH9, 2009)|Other|SeaBIOS (Packard Bell)|1.16.#-1',
  'VMware, Inc.|VMware Virtual Platform|Other|Phoenix Technologies LTD|6.00',
  'LENOVO|20XW00AKUS|Notebook|LENOVO|N32ET8#W (1.6#)',
  'Dell Inc.|Precision 5570|Notebook|Dell Inc.|1.2#.0',
];

export const SERVER_CPUS: readonly string[] = [
  'Xeon® Gold 6338|32|64|3.2',
  'Xeon® Silver 4314|16|32|3.4',
  'EPYC 7443P|24|48|4.0',
  'Xeon® E-2236|6|12|4.8',
  'Core™ i7-12800H|14|20|4.8',
];

export const UBUNTU_RELEASES: readonly string[] = [
  'Ubuntu|22.04.4 LTS|jammy|5.15.0-1##-generic',
  'Ubuntu|22.04.4 LTS|jammy|6.5.0-##-generic',
  'Ubuntu|24.04 LTS|noble|6.8.0-3#-generic',
  'Debian GNU/Linux|12|bookworm|6.1.0-1#-amd64',
];
