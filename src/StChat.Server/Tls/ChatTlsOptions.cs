using System.Text;

namespace StChat.Server.Tls;

// The Chat:Tls section: the certificate Kestrel serves https:// and wss:// with, on the Chat:Url (or --urls) addresses
// that start with https://. A PEM certificate with its PEM key, or a PFX file alone; Password opens an encrypted key or
// the PFX.
internal sealed record ChatTlsOptions
{
    public const string SectionName = "Chat:Tls";

    // A PEM certificate (with the chain after it, if any) or a PFX (.pfx, .p12) file.
    public string? CertificatePath { get; init; }

    // The PEM private key of CertificatePath; unset for a PFX.
    public string? KeyPath { get; init; }

    public string? Password { get; init; }

    // A file holding Password instead (Docker and Kubernetes secrets).
    public string? PasswordFile { get; init; }

    // The generated ToString would print the password.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"CertificatePath = {CertificatePath}, KeyPath = {KeyPath}, ")
            .Append($"Password = {(Password is null ? null : "***")}, PasswordFile = {PasswordFile}");
        return true;
    }
}
