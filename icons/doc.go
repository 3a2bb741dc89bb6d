// Package icons holds the tray icons, embedded in the binary.
//
// It is filled by the tray issue.
package icons
