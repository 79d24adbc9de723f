using System.Runtime.InteropServices;

Console.WriteLine($"Hello from Daedalus on {RuntimeInformation.RuntimeIdentifier}");
