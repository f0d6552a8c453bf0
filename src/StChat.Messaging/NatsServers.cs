using System.Text;

namespace StChat.Messaging;

/// <summary><c>Nats:Url</c> split into the server list the client dials and the credentials it carried.</summary>
internal sealed record NatsServers(string Urls, string? User, string? Password, string? Token)
{
    // The generated ToString would print the password and the token.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Urls = {Urls}, User = {User}, Password = {Secret.Mask(Password)}, Token = {Secret.Mask(Token)}");
        return true;
    }
}
