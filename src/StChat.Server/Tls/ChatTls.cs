using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using StChat.Storage;

namespace StChat.Server.Tls;

// HTTPS for the chat server through Kestrel's own configuration. With Chat:Tls:CertificatePath set, every address of
// Chat:Url (or --urls) becomes a Kestrel:Endpoints:ChatN endpoint, and the https:// ones get the certificate. Kestrel
// watches the certificate files of its configured endpoints and serves new connections with the new certificate when
// they change (the default certificate, Kestrel:Certificates:Default, it loads only once), so a renewed certificate
// takes effect without a restart. Kestrel:Endpoints in the configuration work as Kestrel documents them.
internal static class ChatTls
{
    private const string EndpointPrefix = "Kestrel:Endpoints:Chat";

    // True when the addresses are now Kestrel endpoints; otherwise the caller binds them with UseUrls.
    public static bool AddStChatTls(this WebApplicationBuilder builder, string urls)
    {
        // The slim builder leaves HTTPS configuration out unless asked.
        builder.WebHost.UseKestrelHttpsConfiguration();

        var options = builder.Configuration.GetSection(ChatTlsOptions.SectionName).Get<ChatTlsOptions>() ?? new ChatTlsOptions();
        var validation = new ChatTlsOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new InvalidOperationException("Invalid configuration: " + validation.FailureMessage);
        }

        if (options.CertificatePath is null)
        {
            return false;
        }

        var password = options.PasswordFile is { } file ? SecretFile.Read("Chat:Tls:PasswordFile", file) : options.Password;
        var endpoints = new Dictionary<string, string?>();
        var addresses = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < addresses.Length; i++)
        {
            var endpoint = EndpointPrefix + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            endpoints[$"{endpoint}:Url"] = addresses[i];
            if (addresses[i].StartsWith("https:", StringComparison.OrdinalIgnoreCase))
            {
                endpoints[$"{endpoint}:Certificate:Path"] = Path.GetFullPath(options.CertificatePath);
                endpoints[$"{endpoint}:Certificate:KeyPath"] = options.KeyPath is null ? null : Path.GetFullPath(options.KeyPath);
                endpoints[$"{endpoint}:Certificate:Password"] = password;
            }
        }

        builder.Configuration.AddInMemoryCollection(endpoints);
        return true;
    }
}
