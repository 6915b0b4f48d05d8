"""Compose files of our own -> the exact stack model (container options, placement, model fields)."""

from __future__ import annotations

from stack_helpers import load, service

WEB_DB_CACHE = """
name: shop
services:
  web:
    image: registry.example.com/shop/web:1.4.2
    command: ["gunicorn", "-b", "0.0.0.0:8000", "app:wsgi"]
    environment:
      DATABASE_URL: postgres://db/shop
      CACHE: cache:6379
    ports: ["8080:8000"]
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_started}
    restart: unless-stopped
    healthcheck:
      test: ["CMD", "curl", "-f", "http://127.0.0.1:8000/health"]
      interval: 10s
      timeout: 2s
      retries: 3
      start_period: 30s
    networks: [front, back]
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/db_password
    volumes: ["db-data:/var/lib/postgresql/data"]
    secrets: [db_password]
    healthcheck:
      test: pg_isready -U postgres
    networks: [back]
    stop_grace_period: 1m30s
    user: "999:999"
  cache:
    image: redis:7
    command: redis-server --save ""
    read_only: true
    tmpfs: ["/data:size=64m,mode=1777"]
    networks: [back]
networks:
  front: {}
  back: {internal: true}
volumes:
  db-data: {}
secrets:
  db_password: {file: ./db_password.txt}
"""


def test_web_db_cache(tmp_path):
    stack = load(tmp_path, WEB_DB_CACHE, {"db_password.txt": "s3cret\n"})
    assert stack["name"] == "shop"
    assert stack["project_dir"] == str(tmp_path)
    assert stack["warnings"] == []
    assert stack["networks"] == {
        "back": {"name": "shop_back", "external": False, "internal": True},
        "front": {"name": "shop_front", "external": False},
    }
    assert stack["volumes"] == {"db-data": {"name": "shop_db-data", "external": False}}
    web = service(stack, "web")
    assert web["container"] == {
        "image": "registry.example.com/shop/web:1.4.2",
        "command": ["gunicorn", "-b", "0.0.0.0:8000", "app:wsgi"],
        "env": {"DATABASE_URL": "postgres://db/shop", "CACHE": "cache:6379"},
        "ports": ["8080:8000/tcp"],
        "networks": [{"name": "shop_back", "aliases": ["web"]}, {"name": "shop_front", "aliases": ["web"]}],
        "healthcheck": {"test": ["CMD", "curl", "-f", "http://127.0.0.1:8000/health"], "interval": "10s",
                        "timeout": "2s", "start_period": "30s", "retries": 3},
        "restart_policy": "unless-stopped",
    }
    assert web["placement"] == {"name": "web", "project": "shop", "replicas": 1, "ports": ["8080/tcp"]}
    assert web["depends_on"] == {"cache": {"condition": "service_started", "required": True},
                                 "db": {"condition": "service_healthy", "required": True}}
    assert web["containers"] == ["shop-web-1"]
    db = service(stack, "db")
    assert db["container"] == {
        "image": "postgres:16",
        "env": {"POSTGRES_PASSWORD_FILE": "/run/secrets/db_password"},
        "mounts": [{"type": "volume", "target": "/var/lib/postgresql/data", "source": "shop_db-data"},
                   {"type": "bind", "source": "/var/lib/flotilla/stacks/shop/secrets/db_password",
                    "target": "/run/secrets/db_password", "read_only": True}],
        "networks": [{"name": "shop_back", "aliases": ["db"]}],
        "healthcheck": {"test": ["CMD-SHELL", "pg_isready -U postgres"]},
        "user": "999:999",
        "stop_timeout": 90,
    }
    assert db["files"] == [{"kind": "secret", "name": "db_password", "target": "/run/secrets/db_password",
                            "path": "/var/lib/flotilla/stacks/shop/secrets/db_password",
                            "file": str(tmp_path / "db_password.txt")}]
    # A local named volume pins the replica to the host that holds it (once it exists).
    assert db["placement"] == {"name": "db", "project": "shop", "replicas": 1, "volumes": ["shop_db-data"]}
    cache = service(stack, "cache")
    assert cache["container"] == {
        "image": "redis:7",
        "command": ["redis-server", "--save", ""],
        "mounts": [{"type": "tmpfs", "target": "/data", "tmpfs_size": str(64 * 1024 ** 2), "tmpfs_mode": "1777"}],
        "networks": [{"name": "shop_back", "aliases": ["cache"]}],
        "read_only": True,
    }


def test_every_port_syntax(tmp_path):
    stack = load(tmp_path, """
        name: ports
        services:
          app:
            image: app
            ports:
              - "3000"
              - "3001-3002"
              - "8000:8000"
              - "9090-9091:8080-8081"
              - "49100:22"
              - "127.0.0.1:8001:8001"
              - "127.0.0.1:5000-5001:5000-5001"
              - "6060:6060/udp"
              - "[::1]:6001:6001"
              - 9999
              - target: 80
                published: "8081"
                host_ip: 0.0.0.0
                protocol: tcp
                mode: host
              - target: 53
                published: 1053
                protocol: udp
    """)
    app = service(stack, "app")
    assert app["container"]["ports"] == [
        "3000/tcp", "3001/tcp", "3002/tcp", "8000:8000/tcp", "9090:8080/tcp", "9091:8081/tcp", "49100:22/tcp",
        "127.0.0.1:8001:8001/tcp", "127.0.0.1:5000:5000/tcp", "127.0.0.1:5001:5001/tcp", "6060:6060/udp",
        "[::1]:6001:6001/tcp", "9999/tcp", "0.0.0.0:8081:80/tcp", "1053:53/udp",
    ]
    assert app["placement"]["ports"] == [
        "8000/tcp", "9090/tcp", "9091/tcp", "49100/tcp", "8001/tcp", "5000/tcp", "5001/tcp", "6060/udp",
        "6001/tcp", "8081/tcp", "1053/udp",
    ]


def test_host_port_range_is_one_port_per_replica_not_a_placement_port(tmp_path):
    stack = load(tmp_path, """
        name: ranged
        services:
          web:
            image: web
            ports: ["127.0.0.1:18080-18082:8000"]
            deploy: {replicas: 3}
    """)
    web = service(stack, "web")
    assert web["container"]["ports"] == ["127.0.0.1:18080-18082:8000/tcp"]
    assert "ports" not in web["placement"]


def test_volumes_named_bind_anonymous_tmpfs_read_only(tmp_path):
    stack = load(tmp_path, """
        name: vols
        services:
          app:
            image: app
            volumes:
              - data:/data
              - ./site:/srv:ro
              - /anonymous
              - type: tmpfs
                target: /cache
                tmpfs: {size: 1000000, mode: 0o1777}
              - type: volume
                source: logs
                target: /logs
                read_only: true
              - type: bind
                source: /etc/timezone
                target: /etc/timezone
                read_only: true
              - shared:/shared
              - type: volume
                source: data
                target: /copy
                volume: {nocopy: true}
        volumes:
          data: {}
          logs: {driver: local, driver_opts: {type: tmpfs, device: tmpfs}, labels: {tier: logs}}
          shared: {driver: nfs-plugin}
    """)
    app = service(stack, "app")
    assert app["container"]["mounts"] == [
        {"type": "volume", "target": "/data", "source": "vols_data"},
        {"type": "bind", "target": "/srv", "read_only": True, "source": str(tmp_path / "site")},
        {"type": "volume", "target": "/anonymous"},
        {"type": "tmpfs", "target": "/cache", "tmpfs_size": "1000000", "tmpfs_mode": "1777"},
        {"type": "volume", "target": "/logs", "read_only": True, "source": "vols_logs"},
        {"type": "bind", "target": "/etc/timezone", "read_only": True, "source": "/etc/timezone"},
        {"type": "volume", "target": "/shared", "source": "vols_shared"},
        {"type": "volume", "target": "/copy", "source": "vols_data"},
    ]
    assert stack["warnings"] == [
        "services.app.volumes[7].volume.nocopy: ignored (the containers module has no such mount option yet)"]
    # Only local volumes pin a replica; a network volume (another driver) does not.
    assert app["placement"]["volumes"] == ["vols_data", "vols_logs"]
    assert stack["volumes"] == {
        "data": {"name": "vols_data", "external": False},
        "logs": {"name": "vols_logs", "external": False, "driver": "local",
                 "driver_opts": {"type": "tmpfs", "device": "tmpfs"}, "labels": {"tier": "logs"}},
        "shared": {"name": "vols_shared", "external": False, "driver": "nfs-plugin"},
    }


def test_several_networks_aliases_static_addresses_priority(tmp_path):
    stack = load(tmp_path, """
        name: nets
        services:
          proxy:
            image: proxy
            networks:
              edge:
                aliases: [www, public]
                ipv4_address: 172.28.5.10
                priority: 10
              internal: {}
              zz-first: {priority: 100}
          worker:
            image: worker
        networks:
          edge:
            driver: bridge
            ipam: {config: [{subnet: 172.28.5.0/24}]}
          internal: {internal: true, labels: {team: core}}
          zz-first: {attachable: true}
          outside: {external: true, name: corp-net}
    """)
    assert service(stack, "proxy")["container"]["networks"] == [
        {"name": "nets_zz-first", "aliases": ["proxy"]},
        {"name": "nets_edge", "aliases": ["proxy", "public", "www"], "ipv4_address": "172.28.5.10"},
        {"name": "nets_internal", "aliases": ["proxy"]},
    ]
    # A service without networks joins the stack's default network, as in Compose.
    assert service(stack, "worker")["container"]["networks"] == [{"name": "nets_default", "aliases": ["worker"]}]
    assert stack["networks"] == {
        "default": {"name": "nets_default", "external": False},
        "edge": {"name": "nets_edge", "external": False, "driver": "bridge",
                 "ipam": {"config": [{"subnet": "172.28.5.0/24"}]}},
        "internal": {"name": "nets_internal", "external": False, "internal": True, "labels": {"team": "core"}},
        "zz-first": {"name": "nets_zz-first", "external": False, "attachable": True},
    }


def test_healthchecks(tmp_path):
    stack = load(tmp_path, """
        name: health
        services:
          off: {image: a, healthcheck: {disable: true}}
          kept:
            image: a
            healthcheck: {test: ["CMD", "true"], disable: false, start_period: 5s, interval: 1m}
          shell: {image: a, healthcheck: {test: "curl -f http://localhost/ || exit 1", retries: 5}}
          none: {image: a, healthcheck: {test: ["NONE"]}}
          image_default: {image: a}
    """)
    assert service(stack, "off")["container"]["healthcheck"] == {"disable": True}
    assert service(stack, "kept")["container"]["healthcheck"] == {"test": ["CMD", "true"], "interval": "1m0s",
                                                                  "start_period": "5s"}
    assert service(stack, "shell")["container"]["healthcheck"] == {
        "test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "retries": 5}
    assert service(stack, "none")["container"]["healthcheck"] == {"disable": True}
    assert "healthcheck" not in service(stack, "image_default")["container"]


def test_runtime_options(tmp_path):
    stack = load(tmp_path, """
        name: opts
        services:
          app:
            image: app
            entrypoint: /docker-entrypoint.sh
            working_dir: /srv/app
            hostname: app-host
            cap_add: [NET_ADMIN]
            cap_drop: [ALL]
            security_opt: ["no-new-privileges:true"]
            privileged: false
            read_only: true
            stop_signal: SIGINT
            logging: {driver: json-file, options: {max-size: 10m, max-file: 3}}
            labels: [com.example.tier=front, "com.example.empty="]
            cpus: 1.5
            mem_limit: 512m
            mem_reservation: 256m
            pids_limit: 200
            restart: "on-failure:5"
    """)
    assert service(stack, "app")["container"] == {
        "image": "app",
        "entrypoint": ["/docker-entrypoint.sh"],
        "labels": {"com.example.tier": "front", "com.example.empty": ""},
        "networks": [{"name": "opts_default", "aliases": ["app"]}],
        "restart_policy": "on-failure",
        "restart_retries": 5,
        "working_dir": "/srv/app",
        "hostname": "app-host",
        "read_only": True,
        "cap_add": ["NET_ADMIN"],
        "cap_drop": ["ALL"],
        "security_opts": ["no-new-privileges:true"],
        "stop_signal": "SIGINT",
        "pids_limit": 200,
        "log_driver": "json-file",
        "log_options": {"max-size": "10m", "max-file": "3"},
        "cpus": 1.5,
        "memory": str(512 * 1024 ** 2),
        "memory_reservation": str(256 * 1024 ** 2),
    }


def test_build_only_service_records_the_build_and_names_the_image_like_compose(tmp_path):
    stack = load(tmp_path, """
        name: built
        services:
          api:
            build:
              context: ./api
              dockerfile: Containerfile
              args: {VERSION: "2"}
              target: runtime
    """)
    api = service(stack, "api")
    assert api["container"]["image"] == "built-api"
    assert api["build"] == {"context": str(tmp_path / "api"), "dockerfile": "Containerfile",
                            "args": {"VERSION": "2"}, "target": "runtime"}


def test_recorded_and_ignored_keys_warn_and_are_kept(tmp_path):
    stack = load(tmp_path, """
        name: warn
        services:
          app:
            image: app
            expose: ["5000"]
            stdin_open: true
            links: [other]
            deploy: {labels: {a: b}, endpoint_mode: dnsrr}
          other: {image: other}
    """)
    assert stack["warnings"] == [
        "services.app.expose: ignored (documentation only: containers on a shared network reach every port anyway)",
        "services.app.links: ignored (legacy: services on a shared network already resolve each other by name)",
        "services.app.stdin_open: kept in the model but not applied (the containers module has no stdin_open "
        "option yet)",
        "services.app.deploy.labels: ignored (labels the Swarm service, which does not exist here (use labels))",
        "services.app.deploy.endpoint_mode: ignored (Swarm's virtual IP; services resolve by network alias)",
    ]
    assert service(stack, "app")["pending"] == {"stdin_open": True}


def test_init_hosts_dns_sysctls_ulimits_shm_groups_tty_and_domain_map_to_container_options(tmp_path):
    stack = load(tmp_path, """
        name: extras
        services:
          app:
            image: app
            init: true
            extra_hosts: ["db.local:127.0.0.1", "v6.local=::1"]
            dns: 127.0.0.53
            dns_search: [a.internal, b.internal]
            dns_opt: [ndots:2]
            sysctls: [net.core.somaxconn=1024]
            ulimits: {nproc: 512, nofile: {soft: 1024, hard: 2048}}
            shm_size: 128m
            group_add: [audio, 100]
            tty: true
            domainname: example.internal
    """)
    app = service(stack, "app")
    assert stack["warnings"] == []
    assert app["pending"] == {}
    assert app["container"] == {
        "image": "app", "networks": [{"name": "extras_default", "aliases": ["app"]}], "init": True,
        "extra_hosts": ["db.local:127.0.0.1", "v6.local:::1"], "dns": ["127.0.0.53"],
        "dns_search": ["a.internal", "b.internal"], "dns_opts": ["ndots:2"], "sysctls": {"net.core.somaxconn": "1024"},
        "ulimits": [{"name": "nofile", "soft": 1024, "hard": 2048}, {"name": "nproc", "soft": 512, "hard": 512}],
        "shm_size": str(128 * 1024 ** 2), "group_add": ["audio", "100"], "tty": True, "domainname": "example.internal",
    }


def test_network_modes(tmp_path):
    stack = load(tmp_path, """
        name: modes
        services:
          vpn: {image: vpn}
          behind: {image: app, network_mode: "service:vpn"}
          hostnet: {image: app, network_mode: host}
          isolated: {image: app, network_mode: none}
    """)
    assert service(stack, "hostnet")["container"]["networks"] == [{"name": "host"}]
    assert service(stack, "isolated")["container"]["networks"] == [{"name": "none"}]
    behind = service(stack, "behind")
    assert "networks" not in behind["container"]
    assert behind["pending"] == {"network_mode": "service:vpn"}
    # Both on one host: the service joins the namespace of vpn's one container.
    assert behind["placement"]["affinity"] == [{"service": "vpn", "required": True}]
    assert behind["depends_on"] == {"vpn": {"condition": "service_started", "required": True, "restart": True}}
