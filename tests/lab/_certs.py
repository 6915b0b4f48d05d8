"""TLS material for the lab: one CA, one server certificate per node, one client certificate.

Uses the ``cryptography`` package (a dependency of ansible-core, so present in the controller
venv) rather than the openssl CLI, so no extra host tool is needed.
"""

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 365
CA_NAME = "Flotilla lab CA"
CLIENT_NAME = "flotilla-lab-client"


class CertPaths:
    """Where the lab keeps its TLS files; node server files are named after the node."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.ca_cert = self.dir / "ca.pem"
        self.ca_key = self.dir / "ca-key.pem"
        self.client_cert = self.dir / "cert.pem"
        self.client_key = self.dir / "key.pem"

    def server_cert(self, node):
        return self.dir / f"{node}-cert.pem"

    def server_key(self, node):
        return self.dir / f"{node}-key.pem"


def _new_key():
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path, key):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _write_cert(path, cert):
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _load_cert(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def _builder(subject, issuer, public_key):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            # Backdated a little so a node whose clock lags the controller still accepts it.
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS)))


def _still_valid(path, margin_days=7):
    if not path.exists():
        return False
    expires = _load_cert(path).not_valid_after_utc
    return expires - datetime.datetime.now(datetime.timezone.utc) > datetime.timedelta(margin_days)


def ensure_ca_and_client(paths):
    """Create the CA and the client certificate unless valid ones exist. Returns True if new."""
    paths.dir.mkdir(parents=True, exist_ok=True)
    if all(p.exists() for p in (paths.ca_key, paths.client_key)) and \
            _still_valid(paths.ca_cert) and _still_valid(paths.client_cert):
        return False
    ca_key = _new_key()
    ca_cert = (_builder(CA_NAME, CA_NAME, ca_key.public_key())
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                            crl_sign=True, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, encipher_only=False,
                                            decipher_only=False), critical=True)
               .sign(ca_key, hashes.SHA256()))
    _write_key(paths.ca_key, ca_key)
    _write_cert(paths.ca_cert, ca_cert)
    client_key = _new_key()
    client_cert = (_builder(CLIENT_NAME, CA_NAME, client_key.public_key())
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                                  critical=False)
                   .sign(ca_key, hashes.SHA256()))
    _write_key(paths.client_key, client_key)
    _write_cert(paths.client_cert, client_cert)
    return True


def issue_server_cert(paths, node, ip):
    """Sign a server certificate for `node` valid for its name, lab IP and loopback."""
    ca_key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
    key = _new_key()
    names = [x509.DNSName(node), x509.DNSName("localhost"),
             x509.IPAddress(ipaddress.ip_address(ip)),
             x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (_builder(node, CA_NAME, key.public_key())
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_key(paths.server_key(node), key)
    _write_cert(paths.server_cert(node), cert)


def server_cert_matches(paths, node, ip):
    """True if the node's server certificate exists, is valid and names `ip`."""
    path = paths.server_cert(node)
    if not _still_valid(path):
        return False
    sans = _load_cert(path).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return ipaddress.ip_address(ip) in sans.value.get_values_for_type(x509.IPAddress)
